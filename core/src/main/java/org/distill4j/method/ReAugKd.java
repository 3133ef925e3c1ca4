package org.distill4j.method;

import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.relation.ReAugKdLoss;
import org.distill4j.model.Outputs;

/**
 * {@code reaugkd}: retrieval-augmented KD (Zhang et al., ACL 2023), see {@link ReAugKdLoss} and
 * {@link KnowledgeBase}; run by scheme {@code reaugkd}, which builds the knowledge base (the
 * teacher's embeddings projected by a linear layer trained with a supervised contrastive loss,
 * and its soft labels, in a Lucene HNSW index) before the student trains, and ships it with the
 * student for retrieval at inference. Its objective is {@code (1−α)·CE + kd + relation}.
 *
 * @param temperature softening temperature T of the response KD term (default 4)
 * @param alpha weight of the soft term, in [0, 1] (default 0.9)
 * @param relationWeight weight w of the relational term (default 1)
 * @param k neighbours retrieved per sample at inference, in [1, 1000]; absent (the default): chosen by scheme
 *     reaugkd as the best of 1, 4, 8, 16, 32, 64 on the validation split, never the test split
 * @param tau temperature of the similarity softmaxes (relational term and retrieval weights), in
 *     (0, 10] (default 0.1)
 * @param beta weight of the retrieved soft labels in the prediction at inference, in [0, 1]; absent (the
 *     default): chosen by scheme reaugkd as the best of 0, 0.1, …, 1 on the validation split, never the test split
 * @param projectionEpochs epochs of the projection's supervised contrastive training, in [1, 1000] (default 3)
 * @param projectionTau temperature of the supervised contrastive loss, in (0, 10] (default 0.1)
 * @param studentTap the student's embedding tap (default embedding)
 * @param teacherTap the teacher's embedding tap (default embedding)
 */
public record ReAugKd(Double temperature, Double alpha, Double relationWeight, Integer k, Double tau, Double beta,
        Integer projectionEpochs, Double projectionTau, String studentTap, String teacherTap) implements MethodSpec {
    public ReAugKd {
        temperature = temperature == null ? 4.0 : temperature;
        MethodChecks.require(temperature > 0 && temperature <= 1000, "temperature", "must be in (0, 1000]", temperature);
        alpha = alpha == null ? 0.9 : alpha;
        MethodChecks.require(alpha >= 0 && alpha <= 1, "alpha", "must be in [0, 1]", alpha);
        relationWeight = MethodChecks.weight(relationWeight, 1, "relationWeight");
        if (k != null) {
            MethodChecks.require(k >= 1 && k <= 1000, "k", "must be in [1, 1000]", k);
        }
        tau = tau == null ? 0.1 : tau;
        MethodChecks.require(tau > 0 && tau <= 10, "tau", "must be in (0, 10]", tau);
        if (beta != null) {
            MethodChecks.require(beta >= 0 && beta <= 1, "beta", "must be in [0, 1]", beta);
        }
        projectionEpochs = projectionEpochs == null ? 3 : projectionEpochs;
        MethodChecks.require(projectionEpochs >= 1 && projectionEpochs <= 1000, "projectionEpochs",
                "must be in [1, 1000]", projectionEpochs);
        projectionTau = projectionTau == null ? 0.1 : projectionTau;
        MethodChecks.require(projectionTau > 0 && projectionTau <= 10, "projectionTau", "must be in (0, 10]",
                projectionTau);
        studentTap = MethodChecks.tap(studentTap, Outputs.EMBEDDING, "studentTap");
        teacherTap = MethodChecks.tap(teacherTap, Outputs.EMBEDDING, "teacherTap");
    }

    @Override
    public ReAugKdLoss loss() {
        return new ReAugKdLoss(studentTap, teacherTap, temperature, alpha, relationWeight, tau);
    }

    /** {@code 1 − α}, as Hinton KD. */
    @Override
    public double crossEntropyWeight() {
        return 1 - alpha;
    }

    /** How the shipped student retrieves at inference: {@code chosenK} neighbours mixed by {@code chosenBeta}. */
    public KnowledgeBase.Settings retrieval(int chosenK, double chosenBeta) {
        return new KnowledgeBase.Settings(studentTap, chosenK, tau, chosenBeta);
    }

    @Override
    public String name() {
        return "reaugkd";
    }
}
