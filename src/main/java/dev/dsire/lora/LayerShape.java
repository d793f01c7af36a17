package dev.dsire.lora;

/** What a layer looks like from outside: its canonical name, rank and the shape of ΔW (out×in). */
public record LayerShape(String name, int rank, int outDim, int inDim) {}
