package org.distill4j.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.distill4j.io.AtomicFile;
import org.distill4j.train.EpochSummary;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Renders a {@link RunRecord} as one self-contained HTML page: the results table and learning
 * curves (loss and accuracy per epoch for every model) as embedded PNG charts drawn by XChart.
 */
public final class HtmlReport {
    private HtmlReport() {}

    public static void write(RunRecord record, Path file) throws IOException {
        AtomicFile.writeString(file, render(record));
    }

    public static String render(RunRecord r) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>distill4j run ")
                .append(esc(r.runId())).append("</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1100px}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}")
                .append("th{background:#eee}td:first-child{text-align:left}img{max-width:100%}")
                .append("</style></head><body>");
        h.append("<h1>distill4j run ").append(esc(r.runId())).append("</h1>");
        h.append("<p>seed ").append(r.seed()).append(" · created ").append(esc(r.createdAt()))
                .append(" · total ").append(fmt("%.0f s", r.totalSeconds())).append(" · versions ")
                .append(esc(r.versions().toString())).append("</p>");
        h.append("<h2>Results (test set)</h2>").append(table(r));
        h.append("<h2>Learning curves</h2>");
        h.append(chart("Training loss per epoch", "loss", r, EpochSummary::trainLoss));
        h.append(chart("Validation loss per epoch (cross-entropy)", "loss", r, EpochSummary::validationLoss));
        h.append(chart("Validation accuracy per epoch", "accuracy", r, EpochSummary::validationAccuracy));
        h.append(chart("Training accuracy per epoch", "accuracy", r, EpochSummary::trainAccuracy));
        if (r.models().stream().flatMap(m -> m.history().stream()).anyMatch(e -> e.fidelity() != null)) {
            h.append("<h2>Fidelity to the teacher per epoch</h2>"); // student.fidelityEachEpoch
            h.append(chart("Top-1 agreement with the teacher, training set", "agreement", r, fidelity("agreementTrain")));
            h.append(chart("Top-1 agreement with the teacher, test set", "agreement", r, fidelity("agreementTest")));
            h.append(chart("KL(teacher ‖ student), training set", "KL", r, fidelity("klTrain")));
            h.append(chart("KL(teacher ‖ student), test set", "KL", r, fidelity("klTest")));
        }
        h.append(taskCharts(r));
        h.append("<h2>Provenance</h2><pre>").append(esc(RunRecord.JSON.writeValueAsString(r.config())))
                .append("</pre><p>data digests ").append(esc(r.dataDigests().toString()))
                .append("<br>teacher digest ").append(esc(r.teacherDigest())).append("</p>");
        return h.append("</body></html>\n").toString();
    }

    /** The results table as plain text columns (also what the CLI prints). */
    public static List<String[]> rows(RunRecord r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"model", "params", "bytes", "test acc", "agree test", "agree train", "KL test",
            "KL train", "ECE", "ms/sample b1", "ms/sample b256 (b64)", "train s"});
        for (ModelResult m : r.models()) {
            ModelMetrics x = m.metrics();
            rows.add(new String[] {m.name() + " (" + m.architecture() + ")", m.parameters() < 0 ? "—" : String.format(Locale.ROOT, "%,d", m.parameters()),
                String.format(Locale.ROOT, "%,d", m.sizeBytes()), pct(x.testAccuracy()), pct(x.agreementTest()),
                pct(x.agreementTrain()), num(x.klTest()), num(x.klTrain()), fmt("%.4f", x.expectedCalibrationError()), fmt("%.3f", x.latencyMsBatch1()),
                x.latencyMsPerSampleBatch64() != null ? fmt("%.4f", x.latencyMsPerSampleBatch64()) + " (b64)"
                        : fmt("%.4f", x.latencyMsPerSampleBatch256()), m.loaded() ? "loaded" : fmt("%.0f", m.trainSeconds())});
        }
        return rows;
    }

    private static String table(RunRecord r) {
        StringBuilder t = new StringBuilder("<table>");
        List<String[]> rows = rows(r);
        for (int i = 0; i < rows.size(); i++) {
            t.append("<tr>");
            for (String cell : rows.get(i)) {
                t.append(i == 0 ? "<th>" : "<td>").append(esc(cell)).append(i == 0 ? "</th>" : "</td>");
            }
            t.append("</tr>");
        }
        return t.append("</table>").toString();
    }

    private static String chart(String title, String yLabel, RunRecord r, ToDoubleFunction<EpochSummary> y)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(380).title(title).xAxisTitle("epoch")
                .yAxisTitle(yLabel).build();
        int series = 0;
        for (ModelResult m : r.models()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (EpochSummary e : m.history()) {
                double v = y.applyAsDouble(e);
                if (Double.isFinite(v)) {
                    xs.add((double) e.epoch());
                    ys.add(v);
                }
            }
            if (!xs.isEmpty()) {
                chart.addSeries(m.name(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
                series++;
            }
        }
        if (series == 0) {
            return "<p>" + esc(title) + ": no data (no validation set, or every model was loaded).</p>";
        }
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        return "<h3>" + esc(title) + "</h3><img alt=\"" + esc(title) + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(png) + "\">";
    }

    /** One fidelity value of an epoch (NaN where not measured: no point is drawn). */
    private static ToDoubleFunction<EpochSummary> fidelity(String key) {
        return e -> e.fidelity() == null || e.fidelity().get(key) == null ? Double.NaN : e.fidelity().get(key);
    }

    /**
     * A lifelong scheme's accuracy on every task seen so far after each task ({@code lwf}'s
     * {@code schemeResults.accuracy}: per sequence, rows of {@code afterTask} and {@code perTask}),
     * one chart per sequence with a line per task; empty for other schemes.
     */
    static String taskCharts(RunRecord r) throws IOException {
        com.fasterxml.jackson.databind.JsonNode acc = r.schemeResults() == null ? null
                : r.schemeResults().get("accuracy");
        if (acc == null || !acc.isObject() || !r.schemeResults().path("tasks").isArray()) {
            return "";
        }
        StringBuilder h = new StringBuilder("<h2>Accuracy per task over the sequence (task-aware, test set)</h2>");
        for (var sequence : (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>)
                acc::fields) {
            String title = sequence.getKey() + ": accuracy on each task after each task";
            XYChart chart = new XYChartBuilder().width(900).height(380).title(title).xAxisTitle("after task")
                    .yAxisTitle("accuracy").build();
            int tasks = sequence.getValue().size();
            for (int j = 0; j < tasks; j++) {
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (var row : sequence.getValue()) {
                    var per = row.path("perTask");
                    if (per.size() > j) {
                        xs.add(row.path("afterTask").asDouble());
                        ys.add(per.get(j).asDouble());
                    }
                }
                chart.addSeries("task " + (j + 1) + " " + r.schemeResults().path("tasks").get(j), xs, ys)
                        .setMarker(SeriesMarkers.CIRCLE);
            }
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            h.append("<h3>").append(esc(title)).append("</h3><img alt=\"").append(esc(title))
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                    .append("\">");
        }
        return h.toString();
    }

    static String pct(Double v) {
        return v == null ? "—" : fmt("%.2f%%", 100 * v);
    }

    static String num(Double v) {
        return v == null ? "—" : fmt("%.4f", v);
    }

    static String fmt(String f, double v) {
        return String.format(Locale.ROOT, f, v);
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
