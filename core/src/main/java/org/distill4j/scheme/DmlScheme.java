package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.distill4j.model.ModelSpec;

/**
 * {@code dml}: deep mutual learning (Zhang, Xiang, Hospedales &amp; Lu 2018, "Deep Mutual
 * Learning"). K ≥ 2 peers learn from scratch together; peer k minimises
 * {@code CE(z_k, y) + 1/(K−1)·Σ_{l≠k} KL(p_l ‖ p_k)} at temperature 1 (batch-mean KL; see
 * {@link org.distill4j.loss.response.PeerLoss}). Peers are updated in turn within each batch
 * (peer1 first): peer k's targets are the other peers' predictions on the same batch <em>as
 * they are at its turn</em> — peers already updated in this batch are run again, as the paper's
 * Algorithm 1 recomputes them. All peers see the same batch order; each has its own optimizer.
 * Peers and the alone baselines: see {@link OnlineScheme}; churn between peers: see
 * {@link org.distill4j.metric.Churn}.
 *
 * @param peers the peers' architectures, at least 2 (absent: two copies of {@code student.model})
 * @param targets <em>(choice)</em> how the other peers produce the targets: {@code train} (default:
 *     training mode, batch statistics and dropout, as in the paper, where every prediction is a
 *     training-mode one; their batch-norm running statistics are left as they were, so each
 *     peer's running statistics see each batch once, as its alone baseline's do) or {@code eval}
 *     (inference mode: running statistics, no dropout)
 */
public record DmlScheme(List<ModelSpec> peers, Targets targets) implements OnlineScheme {
    /** The mode in which peers compute each other's targets. */
    public enum Targets {
        @JsonProperty("train") TRAIN,
        @JsonProperty("eval") EVAL
    }

    public DmlScheme {
        peers = OnlineScheme.checkPeers(peers);
        targets = targets == null ? Targets.TRAIN : targets;
    }

    @Override
    public String name() {
        return "dml";
    }

    /** The peers together, then alone (see {@link Peers#run}); one batch order for all peers. */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        int k = peerModels(ctx.config().student().model()).size();
        ObjectNode settings = RunRecord.JSON.createObjectNode();
        settings.put("targets", Peers.lower(targets));
        return Peers.run(ctx, this, Peers.Coupling.mutual(targets == Targets.TRAIN), Peers.copies(k, ctx.train()),
                Peers.copies(k, Seeds.derive(ctx.seed(), "peers-shuffle")), settings);
    }
}
