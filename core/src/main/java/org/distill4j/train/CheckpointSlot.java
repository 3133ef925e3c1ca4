package org.distill4j.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.distill4j.loss.Adapters;
import org.distill4j.model.Network;

/**
 * One participant's state in a checkpoint: its network's weights (running statistics included),
 * its optimizer's state and its adapters (trainable extras and state such as memory banks);
 * each part empty where the participant has none.
 */
public record CheckpointSlot(String name, byte[] weights, byte[] optimizer, byte[] adapters) {
    /** The state of {@code p} now (its optimizer's only while its phase runs). */
    public static CheckpointSlot of(Participant p) throws IOException {
        Optimizer o = p.trainable() ? p.optimizer() : null;
        return of(p.name(), p.network(), o, p.adapters());
    }

    /** A slot from its parts, any of them null. */
    public static CheckpointSlot of(String name, Network network, Optimizer optimizer, Adapters adapters)
            throws IOException {
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        if (network != null) {
            network.writeWeights(new DataOutputStream(w));
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        if (optimizer != null) {
            optimizer.writeState(new DataOutputStream(o));
        }
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        if (adapters != null && !adapters.isEmpty()) {
            adapters.write(new DataOutputStream(a));
        }
        return new CheckpointSlot(name, w.toByteArray(), o.toByteArray(), a.toByteArray());
    }

    /** Puts this slot's state into {@code p} (opened: its optimizer exists), checking each part is there. */
    public void restore(Participant p) throws IOException {
        if (p.network() != null) {
            restoreWeights(p.network());
        }
        restoreAdapters(p.adapters());
        if (p.trainable()) {
            restoreOptimizer(p.optimizer());
        }
    }

    public void restoreWeights(Network net) throws IOException {
        if (weights.length == 0) {
            throw new IOException("checkpoint slot '" + name + "' holds no network weights");
        }
        net.readWeights(new DataInputStream(new ByteArrayInputStream(weights)));
    }

    public void restoreOptimizer(Optimizer o) throws IOException {
        if (optimizer.length == 0) {
            throw new IOException("checkpoint slot '" + name + "' holds no optimizer state");
        }
        o.readState(new DataInputStream(new ByteArrayInputStream(optimizer)));
    }

    /** Restores adapters (a slot without any restores into none: an error if the target has some). */
    public void restoreAdapters(Adapters target) throws IOException {
        if (adapters.length == 0) {
            if (target != null && !target.isEmpty()) {
                throw new IOException("checkpoint slot '" + name + "' holds no adapters, but this method has trainable "
                        + "extras");
            }
            return;
        }
        if (target == null) {
            throw new IOException("checkpoint slot '" + name + "' holds adapters this participant does not have");
        }
        target.read(new DataInputStream(new ByteArrayInputStream(adapters)));
    }
}
