package org.distill4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.io.AtomicFile;
import org.distill4j.rl.DpdSpec;
import org.distill4j.rl.DualPolicyDistillation;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill bench rl}: dual policy distillation (two PPO learners) against a single PPO
 * learner given the same number of environment steps and double, over several seeds; the final
 * deterministic return (mean ± sample std) and the learning curves (mean over seeds, PNG). Each
 * run checkpoints after every cycle in its own directory under {@code --runs}; started again, the
 * bench reads finished runs back and resumes interrupted ones from their last cycle.
 */
@Command(name = "rl", mixinStandardHelpOptions = true,
        description = "Dual policy distillation (PPO) vs a single learner with the same and double the steps.")
final class BenchRlCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--algorithm", defaultValue = "ppo", description = "ppo or ddpg (default: ${DEFAULT-VALUE})")
    String algorithm;

    @Option(names = "--update-ratio", description = "DDPG's gradient steps per environment step (default: 1)")
    Double updateRatio;

    @Option(names = "--env", defaultValue = "pendulum", description = "pendulum, cartpole or mountaincar (default: ${DEFAULT-VALUE})")
    String env;

    @Option(names = "--seeds", defaultValue = "5", description = "seeds 1…N (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--steps", defaultValue = "40960", description = "environment steps per DPD learner (default: ${DEFAULT-VALUE})")
    long steps;

    @Option(names = "--envs", defaultValue = "8", description = "environment copies per learner (default: ${DEFAULT-VALUE})")
    int envs;

    @Option(names = "--rollout-steps", defaultValue = "256", description = "steps per copy per cycle (default: ${DEFAULT-VALUE})")
    int rolloutSteps;

    @Option(names = "--ppo-epochs", defaultValue = "5", description = "PPO passes over each rollout (default: ${DEFAULT-VALUE})")
    int ppoEpochs;

    @Option(names = "--together", description = "add an arm where DPD's learners distil both at once (not in turn)")
    boolean together;

    @Option(names = "--only", split = ",", paramLabel = "ARM",
            description = "run only these arms: dpd, dpd-together, single-same-steps, single-double-steps (comma-separated)")
    List<String> only;

    @Option(names = "--runs", defaultValue = "runs/bench-rl", paramLabel = "DIR",
            description = "where each run's checkpoints go (default: ${DEFAULT-VALUE})")
    Path runs;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR",
            description = "where <name>.md/json and <name>-curves.png go (default: ${DEFAULT-VALUE})")
    Path outDir;

    @Option(names = "--name", description = "the result files' name (default: dpd with PPO, dpd-ddpg with DDPG)")
    String name;

    @ParentCommand
    BenchCommand bench;

    /** The three arms of the comparison, by name: learners, distillation, steps per learner. */
    private Map<String, DpdSpec> arms(long seed) {
        Map<String, DpdSpec> m = new LinkedHashMap<>();
        m.put("dpd", spec(2, true, steps, seed));
        if (together) {
            m.put("dpd-together", spec(2, true, steps, seed).withTogether());
        }
        m.put("single-same-steps", spec(1, false, steps, seed));
        m.put("single-double-steps", spec(1, false, 2 * steps, seed));
        return m;
    }

    private DpdSpec spec(int learners, boolean distill, long s, long seed) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("algorithm", algorithm);
        keys.put("env", env);
        keys.put("learners", learners);
        keys.put("distill", distill);
        keys.put("steps", s);
        keys.put("envs", envs);
        keys.put("rolloutSteps", rolloutSteps);
        keys.put("ppoEpochs", ppoEpochs);
        keys.put("seed", seed);
        if (updateRatio != null) {
            keys.put("updateRatio", updateRatio);
        }
        return DpdSpec.parse(keys);
    }

    @Override
    public Integer call() throws Exception {
        if (seeds < 1) {
            throw new org.distill4j.config.ConfigException("--seeds: must be ≥ 1 (got " + seeds + ")");
        }
        try {
            arms(1); // a bad option fails here, naming the key, before any run starts
        } catch (IllegalArgumentException e) {
            throw new org.distill4j.config.ConfigException("bench rl: " + e.getMessage());
        }
        java.io.PrintStream out = bench.main.out;
        Map<String, List<Map<String, Object>>> results = new LinkedHashMap<>();
        double seconds = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            for (Map.Entry<String, DpdSpec> arm : arms(seed).entrySet()) {
                if (only != null && !only.contains(arm.getKey())) {
                    continue;
                }
                Path dir = runs.resolve(algorithm + "-" + env + "-" + arm.getKey() + "-seed" + seed);
                Path done = dir.resolve("result.json");
                Map<String, Object> r;
                if (Files.exists(done)) {
                    r = JSON.readValue(done.toFile(), new TypeReference<Map<String, Object>>() {});
                    if (!arm.getValue().toString().equals(r.get("spec"))) {
                        throw new org.distill4j.config.ConfigException(done + " was made with another configuration: "
                                + "remove it or use another --runs");
                    }
                } else {
                    long t0 = System.nanoTime();
                    DualPolicyDistillation.Result res = DualPolicyDistillation.run(arm.getValue(), dir);
                    double took = (System.nanoTime() - t0) / 1e9;
                    r = new LinkedHashMap<>();
                    r.put("spec", arm.getValue().toString());
                    r.put("finalReturn", res.finalReturn());
                    r.put("bestLearnerFinalReturn", res.curves().values().stream()
                            .mapToDouble(c -> c.get(c.size() - 1).evalReturn()).max().orElseThrow());
                    r.put("seconds", took);
                    r.put("curves", JSON.convertValue(res.curves(), Object.class));
                    byte[] bytes = JSON.writeValueAsBytes(r);
                    AtomicFile.write(done, o -> o.write(bytes));
                }
                seconds += ((Number) r.get("seconds")).doubleValue();
                out.printf(Locale.ROOT, "%s seed %d: final return %.1f (%.0f s)%n", arm.getKey(), seed,
                        ((Number) r.get("finalReturn")).doubleValue(), ((Number) r.get("seconds")).doubleValue());
                results.computeIfAbsent(arm.getKey(), k -> new ArrayList<>()).add(r);
            }
        }
        write(results, seconds);
        return 0;
    }

    @SuppressWarnings("unchecked")
    private void write(Map<String, List<Map<String, Object>>> results, double seconds) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        DpdSpec example = spec(2, true, steps, 1);
        json.put("env", env);
        json.put("seeds", seeds);
        json.put("stepsPerDpdLearner", steps);
        json.put("spec", example.toString());
        json.put("intraOpThreads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        json.put("runSeconds", seconds);
        String file = name != null ? name : algorithm.equals("ppo") ? "dpd" : "dpd-" + algorithm;
        String alg = algorithm.toUpperCase(Locale.ROOT);
        XYChart chart = new XYChartBuilder().width(900).height(420).title("Evaluation return, mean over " + seeds
                + " seeds (" + env + ", " + alg + ")").xAxisTitle("environment steps per learner").yAxisTitle("return").build();
        StringBuilder table = new StringBuilder();
        table.append("| arm | learners | steps per learner | final return (mean ± std) | per seed | better learner of the "
                + "pair (mean ± std) |\n|---|---:|---:|---:|---|---:|\n");
        Map<String, Object> arms = new LinkedHashMap<>();
        for (Map.Entry<String, List<Map<String, Object>>> e : results.entrySet()) {
            double[] finals = e.getValue().stream().mapToDouble(r -> ((Number) r.get("finalReturn")).doubleValue())
                    .toArray();
            double[] best = e.getValue().stream()
                    .mapToDouble(r -> ((Number) r.get("bestLearnerFinalReturn")).doubleValue()).toArray();
            // learning curve: per seed the mean over its learners, then the mean over seeds
            List<double[]> perSeed = new ArrayList<>();
            double[] xs = null;
            for (Map<String, Object> r : e.getValue()) {
                Map<String, List<Map<String, Object>>> curves = (Map<String, List<Map<String, Object>>>) r.get("curves");
                int n = curves.values().iterator().next().size();
                double[] y = new double[n];
                xs = new double[n];
                for (List<Map<String, Object>> c : curves.values()) {
                    for (int i = 0; i < n; i++) {
                        y[i] += ((Number) c.get(i).get("evalReturn")).doubleValue() / curves.size();
                        xs[i] = ((Number) c.get(i).get("steps")).doubleValue();
                    }
                }
                perSeed.add(y);
            }
            double[] mean = new double[xs.length];
            for (double[] y : perSeed) {
                for (int i = 0; i < mean.length; i++) {
                    mean[i] += y[i] / perSeed.size();
                }
            }
            chart.addSeries(e.getKey(), xs, mean);
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("finalReturns", finals);
            a.put("mean", BenchKdCommand.mean(finals));
            a.put("std", finals.length > 1 ? BenchKdCommand.std(finals) : 0.0);
            a.put("bestLearnerFinalReturns", best);
            a.put("curveSteps", xs);
            a.put("curveMeanReturn", mean);
            arms.put(e.getKey(), a);
            StringBuilder per = new StringBuilder();
            for (double f : finals) {
                per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", f));
            }
            boolean pair = e.getKey().startsWith("dpd");
            table.append(String.format(Locale.ROOT, "| %s | %d | %,d | %.1f ± %.1f | %s | %s |%n", e.getKey(),
                    pair ? 2 : 1, (long) xs[xs.length - 1], (Double) a.get("mean"), (Double) a.get("std"), per,
                    pair ? String.format(Locale.ROOT, "%.1f ± %.1f", BenchKdCommand.mean(best),
                            best.length > 1 ? BenchKdCommand.std(best) : 0.0) : "—"));
        }
        json.put("arms", arms);
        AtomicFile.createDirectories(outDir);
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFile.write(outDir.resolve(file + "-curves.png"), o -> o.write(png));
        byte[] bytes = JSON.writeValueAsBytes(json);
        AtomicFile.write(outDir.resolve(file + ".json"), o -> o.write(bytes));
        String md = String.format(Locale.ROOT, "# Dual policy distillation (%s) on %s%n%n"
                + "Final return = mean undiscounted return of the deterministic policy (action = μ) over %d fixed "
                + "evaluation starts after the last cycle; for DPD the mean of its two learners. Mean ± sample std over "
                + "%d seeds (seeds 1–%d: initial weights, environment starts, action noise, minibatch order). "
                + "Each learner: %d environment copies × %d steps per cycle; DPD learners %,d steps each (%,d for the "
                + "pair), the single learners %,d and %,d. DPD's learners distil in turn (a from b, then b from a "
                + "as a is now); `dpd-together`, where present, has both distil at once from the peers as they were. Learning curves: evaluation return after each cycle, mean "
                + "over seeds (and over DPD's two learners), against each learner's own steps. Configuration of the DPD "
                + "arm (the single arms differ only in learners, distill and steps): %s. PyTorch intra-op threads: %s. "
                + "The runs took %.0f s in all (the sitting that finished each run; a resumed run counts only its last "
                + "sitting). Made by `./distill bench rl %s`.%n%n%s%n![learning curves](%s-curves.png)%n", alg, env,
                example.evalEpisodes(), seeds, seeds, envs, rolloutSteps,
                steps, 2 * steps, steps, 2 * steps, example, json.get("intraOpThreads"), seconds, command(), table, file);
        AtomicFile.writeString(outDir.resolve(file + ".md"), md);
        bench.main.out.println("wrote " + outDir.resolve(file + ".md") + ", " + file + ".json, " + file + "-curves.png");
    }

    private String command() {
        return String.format(Locale.ROOT, "--algorithm %s --env %s --seeds %d --steps %d --envs %d --rollout-steps %d%s%s",
                algorithm, env, seeds, steps, envs, rolloutSteps, algorithm.equals("ppo") ? " --ppo-epochs " + ppoEpochs
                        : "", updateRatio != null ? " --update-ratio " + updateRatio : "") + (together ? " --together" : "");
    }
}
