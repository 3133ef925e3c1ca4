package org.distill4j.cli;

import picocli.CommandLine.Command;

/**
 * {@code distill bench text}: a pretrained sentence transformer (all-MiniLM-L6-v2 as ONNX, its head
 * fitted on the corpus with the encoder frozen) distilled into the zoo's text students, the hashed
 * n-gram bag with an MLP and the 1-D CNN over token embeddings: each from scratch, with KD, and with
 * KD plus a feature loss on the teacher's pooled embedding, over several seeds. Runs and rows come
 * from {@code bench/text.yaml} (run configs under {@code bench/text/}; the data by
 * {@code bench/text/fetch.sh}), in the format of {@code bench algorithms}, with sizes, fidelity and
 * latency per e-mail at batch 1.
 */
@Command(name = "text", mixinStandardHelpOptions = true,
        description = "A sentence transformer distilled into tiny text classifiers, over several seeds.")
final class BenchTextCommand extends RunBench {
    @Override
    String name() {
        return "text";
    }

    @Override
    String intro() {
        return "A pretrained sentence transformer (all-MiniLM-L6-v2, ONNX, 22.6M parameters; its head fitted on the "
                + "training mails with the encoder frozen) distilled into tiny text students on the SpamAssassin "
                + "corpus (ham vs spam), each beside its fair baseline (the same student from the same initial "
                + "weights and batch order); bytes = float32 weights as shipped (the teacher: its ONNX file).";
    }

    @Override
    boolean sizes() {
        return true;
    }

    @Override
    String kind() {
        return "run";
    }

    @Override
    String samples() {
        return "mails";
    }

    @Override
    boolean latency() {
        return true;
    }
}
