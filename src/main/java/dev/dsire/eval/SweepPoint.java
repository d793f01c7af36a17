package dev.dsire.eval;

import dev.dsire.model.Method;

/** One method's MAE and accuracy with a given number of training groups (the paper's Figure 5). */
public record SweepPoint(Method method, int trainGroups, Summary mae, Summary accuracy) {}
