package org.distill4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.data.DatasetException;
import org.distill4j.data.FashionMnist;

/**
 * Finds Fashion-MNIST ({@code --data}, then {@code DISTILL4J_DATA}, then Debian's package) and,
 * when none is found and we run as root on a Debian-like system, installs the package
 * {@code dataset-fashion-mnist}. Otherwise the error says exactly what to do.
 */
final class DataLocator {
    private DataLocator() {}

    static Path locate(Path override, PrintStream err) {
        try {
            return FashionMnist.locate(override, System.getenv());
        } catch (DatasetException e) {
            boolean explicit = override != null || System.getenv(FashionMnist.ENV) != null;
            if (explicit || !isRoot() || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
                throw e;
            }
        }
        err.println("Fashion-MNIST not found: installing Debian's dataset-fashion-mnist (running as root) …");
        if (!aptInstall(err)) {
            run(err, "apt-get", "update", "-q");
            if (!aptInstall(err)) {
                throw new DatasetException("installing dataset-fashion-mnist with apt-get failed (see above); "
                        + "install it by hand or pass --data DIR with the four IDX files");
            }
        }
        return FashionMnist.locate(override, System.getenv());
    }

    private static boolean aptInstall(PrintStream err) {
        return run(err, "apt-get", "install", "-y", "-q", "dataset-fashion-mnist");
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 && out.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean run(PrintStream err, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().transferTo(err);
            return p.waitFor() == 0;
        } catch (IOException e) {
            err.println(String.join(" ", command) + ": " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
