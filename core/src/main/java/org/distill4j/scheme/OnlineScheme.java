package org.distill4j.scheme;

import java.util.List;
import org.distill4j.model.ModelSpec;

/**
 * The online schemes ({@code dml}, {@code codistillation}, {@code afd}): K ≥ 2 peers learn from scratch at
 * the same time, each taught by the others; there is no teacher. The peers are either listed in
 * the scheme ({@code peers: [{type: cnn, …}, {type: mlp, …}]}, architectures may differ) or,
 * when {@code peers} is absent, two copies of {@code student.model}; giving both is an error.
 * Every peer uses the schedule of {@code student.train}; {@code student.baseline} (default true)
 * also trains each peer alone, from the same initial weights on the same data, as its control.
 * {@code student.method} and {@code student.knowledge} are not used. The peers train in one phase, in lockstep: see {@link Peers}.
 */
public sealed interface OnlineScheme extends SchemeSpec permits DmlScheme, CodistillationScheme, AfdScheme {
    /** Peers when {@code peers} is absent. */
    int DEFAULT_PEERS = 2;

    /** The listed peers, or null when the scheme takes them from {@code student.model}. */
    List<ModelSpec> peers();

    /** The peers' architectures, in order (peer1 first). */
    default List<ModelSpec> peerModels(ModelSpec studentModel) {
        checkStudentModel(studentModel);
        return peers() != null ? peers() : java.util.Collections.nCopies(DEFAULT_PEERS, studentModel);
    }

    @Override
    default boolean needsTeacher() {
        return false;
    }

    @Override
    default void checkStudentModel(ModelSpec model) {
        if (peers() == null && model == null) {
            throw new IllegalArgumentException("student: 'model' is required, or list the peers in scheme '" + name()
                    + "' (peers: [{type: cnn, …}, {type: mlp, …}])");
        }
        if (peers() != null && model != null) {
            throw new IllegalArgumentException("student: 'model' and scheme '" + name() + "' peers are both given; "
                    + "keep one: the peers list, or student.model for " + DEFAULT_PEERS + " peers of that architecture");
        }
    }

    /** Validates a {@code peers} list in a record's constructor: absent, or at least two entries. */
    static List<ModelSpec> checkPeers(List<ModelSpec> peers) {
        if (peers == null) {
            return null;
        }
        if (peers.size() < 2 || peers.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("peers: online distillation needs at least 2 peers, each a model "
                    + "such as {type: mlp, hidden: [256]} (got " + peers.size() + ")");
        }
        return List.copyOf(peers);
    }
}
