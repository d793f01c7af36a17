package dev.dsire.eval;

import dev.dsire.model.Method;
import java.util.SortedMap;

/**
 * One method on sizes it never saw: MAE and MAPE of its continuous estimate (a vote method can only
 * answer a trained size), coverage of its 80% interval (NaN without one), and the MAE per unseen size.
 */
public record UnseenResult(Method method, Summary mae, Summary mape, Summary coverage80, SortedMap<Integer, Double> maeBySize) {}
