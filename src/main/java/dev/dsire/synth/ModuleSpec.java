package dev.dsire.synth;

/**
 * A linear module of a base model, as diffusers names it: component ("unet", "te1", "te2"), dotted
 * module path, and the weight's out×in shape.
 */
public record ModuleSpec(String component, String path, int outDim, int inDim) {}
