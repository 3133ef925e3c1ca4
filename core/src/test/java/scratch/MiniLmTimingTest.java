package scratch;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.distill4j.data.Normalisation;
import org.distill4j.metric.Latency;
import org.distill4j.model.ImportedModel;
import org.junit.jupiter.api.Test;

class MiniLmTimingTest {
    @Test
    void time() {
        int len = Integer.getInteger("len", 128);
        Normalisation n = new Normalisation(Normalisation.Layout.PER_FEATURE, List.of((long) len),
                Collections.nCopies(len, 0.0), Collections.nCopies(len, 1.0), List.of("ham", "spam"));
        try (ImportedModel m = ImportedModel.open("teacher", new ImportedModel.Spec(
                Path.of("/work/text-data/minilm/all-minilm-l6-v2.onnx"), null, null, null), n);
                NDManager root = NDManager.newBaseManager()) {
            System.out.println("TIMING " + m + " text=" + m.isTextEncoder() + " params=" + m.parameterCount()
                    + " taps=" + m.tapNames());
            long t0 = System.nanoTime();
            for (int b : new int[] {4, 16, 64}) System.out.println("TIMING b" + b + " ms/mail " + Latency.millisPerSample(m, root, b, 3));
            System.out.println("TIMING b1 ms/mail " + Latency.millisPerSample(m, root, 1, 30));
            System.out.println("TIMING total s " + (System.nanoTime() - t0) / 1e9);
        }
    }
}
