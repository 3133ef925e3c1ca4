package org.distill4j.train;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.distill4j.data.Dataset;

/**
 * A stretch of training that the {@link Loop} runs: named participants, named feeds of batches,
 * the step policy (which update moves whom, in what order) and the number of epochs. Every
 * feed advances one batch per step, in lockstep; an epoch is as many steps as the shortest feed
 * has batches. Validated participants are measured on {@code validation} after every epoch.
 *
 * @param name the phase's name (checkpoints and progress)
 * @param participants the members, in order (slots and summaries follow it)
 * @param feeds the batch streams
 * @param policy the updates of each step
 * @param epochs how many epochs
 * @param validation held-out data, possibly empty
 */
public record Phase(String name, List<Participant> participants, List<Feed> feeds, StepPolicy policy, int epochs,
        Dataset validation) {
    public Phase {
        participants = List.copyOf(participants);
        feeds = List.copyOf(feeds);
        if (participants.isEmpty() || feeds.isEmpty()) {
            throw new IllegalArgumentException(name + ": a phase needs at least one participant and one feed");
        }
        if (participants.stream().map(Participant::name).distinct().count() != participants.size()) {
            throw new IllegalArgumentException(name + ": participant names repeat");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException(name + ": epochs must be ≥ 1");
        }
    }

    /** Steps in one epoch: the fewest batches any feed has. */
    public int stepsPerEpoch() {
        return feeds.stream().mapToInt(f -> f.loader().batchesPerEpoch()).min().orElseThrow();
    }

    public Participant participant(String n) {
        for (Participant p : participants) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException(name + ": no participant '" + n + "' (has "
                + participants.stream().map(Participant::name).toList() + ")");
    }

    Map<String, Feed> feedsByName() {
        return feeds.stream().collect(Collectors.toMap(Feed::name, Function.identity(), (a, b) -> {
            throw new IllegalArgumentException(name + ": feed names repeat");
        }, java.util.LinkedHashMap::new));
    }
}
