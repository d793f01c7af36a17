package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.model.Posterior;
import dev.dsire.model.Prediction;
import dev.dsire.model.Status;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** predict's text line: the answer in words, for every status a model can give. */
class PredictWordsTest {
    static final List<Integer> SIZES = List.of(1, 2, 3, 4, 5, 6);

    /** p = 0.55 on 3, the rest spread around it: 2–4 holds 87%, no narrower run 85%. */
    static Posterior posterior(double mass) {
        return new Posterior(SIZES, new double[] {0.05, 0.15, 0.55, 0.17, 0.04, 0.04}, mass);
    }

    static Prediction answer(Status status, int size, double estimate, Posterior p, String reason) {
        return new Prediction(status, size, estimate, new TreeMap<>(), p, reason);
    }

    @Test
    void aPosteriorAnswerSaysImagesItsRangeAndItsProbability() {
        String calibrated = PredictCommand.describe(answer(Status.OK, 3, 3.1, posterior(0.85), null));
        assertEquals("≈3 images (85%: 2–4, p=0.55)", calibrated);
        String uncalibrated = PredictCommand.describe(answer(Status.OK, 3, 3.1, posterior(0.8), null));
        assertTrue(uncalibrated.startsWith("≈3 images (80%: "), "an uncalibrated interval holds 80% of the probability: " + uncalibrated);
        assertEquals("≈1 image (votes 1:5 2:1)", PredictCommand.describe(new Prediction(1, new TreeMap<>(java.util.Map.of(1, 5, 2, 1)))));
    }

    @Test
    void aDisagreeingEstimateAndAnUnsureAnswerAreSaidInWords() {
        assertEquals("≈3 images (85%: 2–4, p=0.55; between trained sizes: 4.2)",
                PredictCommand.describe(answer(Status.OK, 3, 4.2, posterior(0.85), null)));
        Posterior flat = new Posterior(SIZES, new double[] {0.18, 0.18, 0.2, 0.16, 0.14, 0.14}, 0.85);
        String unsure = PredictCommand.describe(answer(Status.OK, 3, 3, flat, null));
        assertTrue(unsure.startsWith("≈3 images, uncertain ("), unsure);
    }

    @Test
    void everyStatusIsInWords() {
        for (Status s : Status.values()) {
            Prediction p = s.hasSize() ? answer(s, 6, 6, posterior(0.85), s == Status.OK ? null : "the reason")
                    : Prediction.none(s, "the reason");
            String line = PredictCommand.describe(p);
            assertFalse(line.contains(s.key()) && s.key().contains("_"), "no raw key: " + line);
            if (s != Status.OK) {
                assertFalse(PredictCommand.inWords(p).isEmpty(), s.key());
                assertTrue(line.contains("the reason"), line);
            }
        }
        assertTrue(PredictCommand.describe(answer(Status.ABOVE_RANGE, 6, 6, posterior(0.85), null)).startsWith("≥6 images"));
        assertTrue(PredictCommand.describe(answer(Status.ABOVE_RANGE, 6, 6, posterior(0.85), null)).endsWith("; above the trained range (≥ 6)"));
        assertTrue(PredictCommand.describe(answer(Status.BELOW_RANGE, 1, 1, posterior(0.85), null)).contains("below the trained range (≤ 1)"));
        assertTrue(PredictCommand.describe(answer(Status.OUT_OF_DISTRIBUTION, 3, 3, posterior(0.85), "far from all"))
                .endsWith("; unlike the training adapters: far from all"));
        assertEquals("no estimate: no model fits this file's layout: SDXL rank 8", PredictCommand.describe(Prediction.none(Status.NO_MODEL, "SDXL rank 8")));
    }
}
