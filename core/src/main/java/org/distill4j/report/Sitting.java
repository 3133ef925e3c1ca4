package org.distill4j.report;

import java.util.List;

/**
 * One process's part of a run: a run trained without interruption has one sitting, a resumed
 * run one more per resume.
 *
 * @param startedAt when the sitting began (ISO-8601)
 * @param seconds how long it trained (for an interrupted sitting: up to its last checkpoint)
 * @param resumedFrom the checkpoint file it continued from (null: it started the run)
 * @param accepted the changes the user explicitly accepted for it (e.g. "data.train (3f2a… → 9c1e…)")
 * @param threads the engine's thread counts it trained with and how they were chosen (null in
 *     records written before they were kept)
 */
public record Sitting(String startedAt, double seconds, String resumedFrom, List<String> accepted,
        org.distill4j.train.EngineThreads threads) {
    public Sitting {
        accepted = accepted == null ? List.of() : List.copyOf(accepted);
    }

    public Sitting withSeconds(double s) {
        return new Sitting(startedAt, s, resumedFrom, accepted, threads);
    }
}
