import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.model.Network;

/**
 * Do a DeepInversion run's synthesized images show their target classes to networks other than the
 * teacher they were made for? Arguments: the run's {@code deep-inversion.safetensors}, then saved
 * networks ({@code .model} files), the first being the teacher. For each network: the share of the
 * images it gives their target class, its agreement with the first network, and its predicted-class
 * histogram; and the images' pixel statistics beside those of the first 2,000 real test images.
 * The real images are Fashion-MNIST's (found as the CLI finds them). Run by {@code bench/datafree/judge.sh}.
 */
public final class Judge {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: judge.sh IMAGES.safetensors TEACHER.model [NETWORK.model ...]");
            System.exit(2);
        }
        SafeTensors.Opened opened;
        try {
            opened = SafeTensors.open(Path.of(args[0]));
        } catch (java.io.IOException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        SafeTensors.View images = opened.tensors().get("images");
        if (images == null || opened.tensors().get("targets") == null || images.shape().length != 4) {
            System.err.println(args[0] + ": not a synthesized set (images N×C×H×W, targets N)");
            System.exit(2);
        }
        float[] x = images.floats();
        int[] y = opened.tensors().get("targets").ints();
        int n = y.length;
        int size = x.length / n;
        long[] sample = java.util.Arrays.copyOfRange(images.shape(), 1, 4);
        Dataset test = FashionMnist.load(FashionMnist.locate(null, System.getenv())).test();
        float[] real = new float[2000 * size];
        for (int i = 0; i < 2000; i++) {
            test.copyFeatures(i, real, i * size);
        }
        System.out.printf("%d images: pixel mean %.3f std %.3f range [%.2f, %.2f]; real test images: mean %.3f std %.3f"
                + " range [%.2f, %.2f]%n", n, mean(x), std(x), min(x), max(x), mean(real), std(real), min(real), max(real));
        long[] first = null;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int k = 1; k < args.length; k++) {
                long[] p = new long[n];
                try (Network net = Network.load(Path.of(args[k]), null, manager)) {
                    for (int s = 0; s < n; s += 256) {
                        int b = Math.min(256, n - s);
                        try (NDManager batch = manager.newSubManager()) {
                            NDArray in = batch.create(Arrays.copyOfRange(x, s * size, (s + b) * size),
                                    new Shape(b, sample[0], sample[1], sample[2]));
                            System.arraycopy(net.forward(in, false).logits().argMax(1).toLongArray(), 0, p, s, b);
                        }
                    }
                }
                first = first == null ? p : first;
                int target = 0;
                int agree = 0;
                int[] histogram = new int[test.numClasses()];
                for (int i = 0; i < n; i++) {
                    target += p[i] == y[i] ? 1 : 0;
                    agree += p[i] == first[i] ? 1 : 0;
                    histogram[(int) p[i]]++;
                }
                System.out.printf("%s: target class %.1f%%, agrees with the first %.1f%%, classes %s%n", args[k],
                        100.0 * target / n, 100.0 * agree / n, Arrays.toString(histogram));
            }
        }
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f;
        }
        return s / v.length;
    }

    private static double std(float[] v) {
        double m = mean(v);
        double s = 0;
        for (float f : v) {
            s += (f - m) * (f - m);
        }
        return Math.sqrt(s / v.length);
    }

    private static double min(float[] v) {
        double m = Double.MAX_VALUE;
        for (float f : v) {
            m = Math.min(m, f);
        }
        return m;
    }

    private static double max(float[] v) {
        double m = -Double.MAX_VALUE;
        for (float f : v) {
            m = Math.max(m, f);
        }
        return m;
    }
}
