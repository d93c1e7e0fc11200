package dev.kiln.devstack;

import java.util.concurrent.CountDownLatch;

/**
 * Starts the dev stack for a local run, prints its settings, and keeps it up until Ctrl-C.
 *
 * <p>
 * Output, one {@code key=value} per line: the Quarkus settings ({@link DevStack#settings()}), then
 * {@code kiln.devstack.pid.<n>=<pid> <command>} for each service process, then the line {@link #READY}.
 * Run: {@code mvn -q -pl dev-stack compile exec:java}.
 */
public final class DevStackMain {

    /** Printed once every service is ready; scripts and tests wait for it. */
    public static final String READY = "kiln.devstack.ready=true";

    private DevStackMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        long startNanos = System.nanoTime();
        DevStack stack = DevStack.start(DevStackConfig.fromSystemProperties());
        long startMillis = (System.nanoTime() - startNanos) / 1_000_000;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "kiln-dev-stack-main-shutdown"));
        stack.settings().forEach((key, value) -> System.out.println(key + "=" + value));
        int index = 0;
        for (ProcessHandle process : stack.processes()) {
            System.out.println("kiln.devstack.pid." + index++ + "=" + process.pid() + " "
                    + process.info().command().orElse("?"));
        }
        System.out.println(READY);
        System.out.println("# Dev stack (" + stack.flavour().name().toLowerCase() + ") up in " + startMillis
                + " ms; Ctrl-C stops it.");
        System.out.flush();
        stopped.await();
    }
}
