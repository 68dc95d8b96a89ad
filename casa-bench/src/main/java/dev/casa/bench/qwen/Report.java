package dev.casa.bench.qwen;

import dev.casa.bench.e2e.MachineState;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The lines every Qwen benchmark prints first and last: machine, time, load. */
final class Report {
    private Report() {}

    static void header(String bench, int threads) {
        System.out.println("== " + bench + " ==");
        System.out.println("CPU: " + MachineState.cpuModel());
        System.out.printf("JDK %s, %d benchmark thread(s), vector species %s; %s UTC; load average %s%n",
                Runtime.version(), threads, jdk.incubator.vector.FloatVector.SPECIES_PREFERRED,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), MachineState.loadAverage());
    }

    static void footer() {
        System.out.printf("load average at end: %s; %s UTC%n", MachineState.loadAverage(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }
}
