package dev.dsire.eval;

import dev.dsire.model.Method;

/** One method's scores under the protocol: MAE, MAPE (%) and accuracy (%), mean ± std over repeats. */
public record MethodResult(Method method, Summary mae, Summary mape, Summary accuracy, Confusion confusion) {}
