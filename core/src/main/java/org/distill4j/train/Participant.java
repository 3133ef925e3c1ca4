package org.distill4j.train;

import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.distill4j.loss.Adapters;
import org.distill4j.model.Network;

/**
 * One named member of a {@link Phase}: a network, a set of trainable {@link Adapters} (a
 * regressor, a discriminator, a generator's inputs), or both — a student and the extras its
 * method trains with it, which share one optimizer, as they share one loss. A trainable
 * participant has its own optimizer, learning-rate schedule and gradient clipping (from its
 * {@link TrainSpec}); a frozen one (codistillation's stale copies, a teacher kept in the phase)
 * is never stepped. Every participant has a checkpoint slot under its name: weights, optimizer
 * state and adapters (memory banks included).
 *
 * <p>The participant owns its adapters (closed with it) but not its network: the scheme that
 * made the network closes it.
 */
public final class Participant implements AutoCloseable {
    /** The learning rate at a step, in place of the {@link TrainSpec}'s schedule (e.g. a cyclic one). */
    @FunctionalInterface
    public interface Rates {
        double rate(int epoch, int step, int stepsPerEpoch);
    }

    private final String name;
    private final Network network;
    private final Adapters adapters;
    private final TrainSpec train;
    private final Rates rates;
    private final boolean validated;
    private Optimizer optimizer;

    private Participant(String name, Network network, Adapters adapters, TrainSpec train, Rates rates,
            boolean validated) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a participant needs a name");
        }
        if (network == null && adapters == null) {
            throw new IllegalArgumentException(name + ": a participant is a network, a set of adapters, or both");
        }
        this.name = name;
        this.network = network;
        this.adapters = adapters;
        this.train = train;
        this.rates = rates;
        this.validated = validated;
    }

    /**
     * A trainable network and its adapters (possibly empty), one optimizer for both; validated at
     * every epoch end.
     */
    public static Participant learner(String name, Network network, Adapters adapters, TrainSpec train) {
        return new Participant(name, Objects.requireNonNull(network, "network"), adapters, Objects.requireNonNull(train,
                "train"), null, true);
    }

    /** A trainable set of adapters with an optimizer of its own (a discriminator, a guide). */
    public static Participant adapters(String name, Adapters adapters, TrainSpec train) {
        return new Participant(name, null, Objects.requireNonNull(adapters, "adapters"), Objects.requireNonNull(train,
                "train"), null, false);
    }

    /** A network that takes part without learning; its weights are checkpointed. */
    public static Participant frozen(String name, Network network) {
        return new Participant(name, Objects.requireNonNull(network, "network"), null, null, null, false);
    }

    /** The same participant with another learning-rate schedule. */
    public Participant withRates(Rates r) {
        return new Participant(name, network, adapters, train, r, validated);
    }

    public String name() {
        return name;
    }

    /** Its network, or null for an adapters-only participant. */
    public Network network() {
        return network;
    }

    /** Its adapters, or null. */
    public Adapters adapters() {
        return adapters;
    }

    /** Its schedule, or null when frozen. */
    public TrainSpec train() {
        return train;
    }

    public boolean trainable() {
        return train != null;
    }

    /** Whether the loop measures it on the validation set at each epoch end. */
    public boolean isValidated() {
        return validated && network != null && trainable();
    }

    /** Its optimizer while its phase runs. */
    public Optimizer optimizer() {
        if (optimizer == null) {
            throw new IllegalStateException(name + " has no optimizer (frozen, or its phase has not started)");
        }
        return optimizer;
    }

    /** The parameters its optimizer updates: the network's, then the adapters'. */
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        if (network != null) {
            all.addAll(network.trainableParameters());
        }
        if (adapters != null) {
            all.addAll(adapters.trainableParameters());
        }
        return all;
    }

    /** The learning rate at a step of its phase. */
    public double rate(int epoch, int step, int stepsPerEpoch) {
        return rates != null ? rates.rate(epoch, step, stepsPerEpoch)
                : train.schedule().rate(train.optimizer().lr(), epoch, step, stepsPerEpoch, train.epochs());
    }

    /** Creates the optimizer (trainable participants), in the network's manager. */
    void open(ai.djl.ndarray.NDManager fallback) {
        if (trainable() && optimizer == null) {
            optimizer = train.optimizer().create(parameters(), network != null ? network.manager() : fallback);
        }
    }

    /** Closes the optimizer (the phase ended); the participant may be opened again by another phase. */
    void finish() {
        if (optimizer != null) {
            optimizer.close();
            optimizer = null;
        }
    }

    /** Closes the optimizer and the adapters; the network stays with its owner. */
    @Override
    public void close() {
        finish();
        if (adapters != null) {
            adapters.close();
        }
    }

    @Override
    public String toString() {
        return name + (trainable() ? "" : " (frozen)");
    }
}
