package dev.dsire.eval;

import dev.dsire.model.Method;

/**
 * One method's scores under the protocol: MAE, MAPE (%) and accuracy (%), mean ± std over repeats;
 * for probabilistic methods also the share of test adapters inside their 80% interval (coverage80)
 * and the reliability of the answers' probabilities (both NaN / empty otherwise); and the share of
 * test adapters flagged out of distribution.
 */
public record MethodResult(Method method, Summary mae, Summary mape, Summary accuracy, Confusion confusion, Summary coverage80,
                           Reliability reliability, double oodRate) {}
