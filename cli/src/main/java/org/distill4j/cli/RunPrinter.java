package org.distill4j.cli;

import java.io.PrintStream;
import java.util.List;
import org.distill4j.report.HtmlReport;
import org.distill4j.report.RunRecord;

/** Prints a run's results table as aligned text columns. */
final class RunPrinter {
    private RunPrinter() {}

    static void print(RunRecord r, java.nio.file.Path dir, PrintStream out) {
        table(HtmlReport.rows(r), out);
        try {
            List<org.distill4j.metric.EarlyExit.Result> early = EvaluateCommand.recorded(r);
            if (!early.isEmpty()) {
                EvaluateCommand.printEarlyExit(early, out);
            }
        } catch (java.io.IOException e) {
            out.println("(early-exit results unreadable: " + e.getMessage() + ")");
        }
        out.printf("total %.0f s · record %s · report %s%n", r.totalSeconds(), dir.resolve("record.json"),
                dir.resolve("report.html"));
    }

    /** Prints rows (the first is the header) as aligned columns, first column left-aligned. */
    static void table(List<String[]> rows, PrintStream out) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        out.println();
        for (int k = 0; k < rows.size(); k++) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                String cell = rows.get(k)[i];
                line.append(i == 0 ? String.format("%-" + width[i] + "s", cell) : String.format("  %" + width[i] + "s", cell));
            }
            out.println(line);
            if (k == 0) {
                out.println("-".repeat(line.length()));
            }
        }
        out.println();
    }
}
