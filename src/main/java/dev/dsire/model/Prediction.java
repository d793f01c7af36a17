package dev.dsire.model;

import java.util.SortedMap;

/** A predicted dataset size and the votes behind it (size → number of voters). */
public record Prediction(int size, SortedMap<Integer, Integer> votes) {}
