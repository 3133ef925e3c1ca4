package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import org.distill4j.data.Dataset;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.distill4j.model.ModelSpec;

/**
 * {@code codistillation} (Anil, Pereyra, Passos, Ormándi, Dahl &amp; Hinton 2018, "Large scale
 * distributed neural network training through online distillation"). K ≥ 2 peers learn at the
 * same time, each on its own batches; peer k minimises {@code CE(z_k, y) + w·KL(p̄ ‖ p_k)} at
 * temperature 1, where {@code p̄} is the mean <em>probability</em> of the other peers' <em>stale
 * copies</em> (real copies of their weights, running statistics included, run in inference
 * mode) on peer k's batch. The distillation term is switched on at step {@code burnInSteps}
 * (0-based, counted over the phase); before it, the term is 0 and the peers train on labels
 * alone. The copies are taken from the live peers when it switches on and refreshed every
 * {@code refreshSteps} steps from then on (before steps B, B+N, B+2N …), standing in for the
 * paper's infrequent checkpoint exchange between workers <em>(choice: refreshes are counted
 * from the end of the burn-in, so distillation never starts from a copy of the untrained
 * network)</em>. Each peer has its own batch order and optimizer.
 *
 * @param peers the peers' architectures, at least 2 (absent: two copies of {@code student.model})
 * @param refreshSteps steps between refreshes of the stale copies, ≥ 1 (default 50)
 * @param burnInSteps steps before the distillation term is switched on, ≥ 0 (default: one
 *     epoch's steps)
 * @param weight w, the weight of the distillation term, ≥ 0 (default 1; cross-entropy has weight 1)
 * @param shards {@code shared} (default: every peer trains on the whole training set) or
 *     {@code disjoint} (the training set is shuffled with the run's seed and cut into K parts
 *     whose sizes differ by at most one; peer k trains on part k only, as in the paper's
 *     data-parallel setting; an epoch is then one pass over a part)
 */
public record CodistillationScheme(List<ModelSpec> peers, Integer refreshSteps, Integer burnInSteps, Double weight,
        Shards shards) implements OnlineScheme {
    /** How the training set is divided between peers. */
    public enum Shards {
        @JsonProperty("shared") SHARED,
        @JsonProperty("disjoint") DISJOINT
    }

    public CodistillationScheme {
        peers = OnlineScheme.checkPeers(peers);
        refreshSteps = refreshSteps == null ? 50 : refreshSteps;
        weight = weight == null ? 1.0 : weight;
        shards = shards == null ? Shards.SHARED : shards;
        if (refreshSteps < 1) {
            throw new IllegalArgumentException("refreshSteps: must be ≥ 1 (got " + refreshSteps + ")");
        }
        if (burnInSteps != null && burnInSteps < 0) {
            throw new IllegalArgumentException("burnInSteps: must be ≥ 0, or absent for one epoch (got "
                    + burnInSteps + ")");
        }
        if (!(weight >= 0 && weight <= 1000)) {
            throw new IllegalArgumentException("weight: must be in [0, 1000] (got " + weight + ")");
        }
    }

    @Override
    public String name() {
        return "codistillation";
    }

    /** The burn-in in steps: {@code burnInSteps}, or one epoch when it is absent. */
    public int burnIn(int stepsPerEpoch) {
        return burnInSteps != null ? burnInSteps : stepsPerEpoch;
    }

    /** The peers together, then alone (see {@link Peers#run}); each peer a worker with its own batch order. */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        int k = peerModels(ctx.config().student().model()).size();
        List<Dataset> data = shards == Shards.DISJOINT ? Peers.shards(ctx.train(), k, Seeds.derive(ctx.seed(), "shards"))
                : Peers.copies(k, ctx.train());
        List<Long> shuffles = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            shuffles.add(Seeds.derive(ctx.seed(), Peers.peer(i) + "-shuffle"));
        }
        int burnIn = burnIn(Peers.stepsPerEpoch(data, ctx.config().student().train().batchSize()));
        ObjectNode settings = RunRecord.JSON.createObjectNode();
        settings.put("refreshSteps", refreshSteps).put("burnInSteps", burnIn).put("weight", weight)
                .put("shards", Peers.lower(shards));
        return Peers.run(ctx, this, Peers.Coupling.codistillation(weight, refreshSteps, burnIn), data, shuffles,
                settings);
    }
}
