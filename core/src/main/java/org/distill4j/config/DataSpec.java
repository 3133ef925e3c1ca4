package org.distill4j.config;

/**
 * Which part of Fashion-MNIST a run uses.
 *
 * @param validation fraction of the training set held out for validation, in [0, 0.5]
 * @param trainLimit use only the first N training samples (0 = all), for quick runs
 * @param testLimit use only the first N test samples (0 = all)
 */
public record DataSpec(Double validation, Integer trainLimit, Integer testLimit) {
    public DataSpec {
        validation = validation == null ? 0.1 : validation;
        trainLimit = trainLimit == null ? 0 : trainLimit;
        testLimit = testLimit == null ? 0 : testLimit;
        if (!(validation >= 0 && validation <= 0.5)) {
            throw new IllegalArgumentException("validation: must be in [0, 0.5] (got " + validation + ")");
        }
        if (trainLimit < 0 || testLimit < 0) {
            throw new IllegalArgumentException("trainLimit/testLimit: must be ≥ 0, 0 meaning all (got "
                    + trainLimit + ", " + testLimit + ")");
        }
    }

    public static DataSpec defaults() {
        return new DataSpec(null, null, null);
    }
}
