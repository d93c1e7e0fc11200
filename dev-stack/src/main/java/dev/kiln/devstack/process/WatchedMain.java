package dev.kiln.devstack.process;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Child-JVM entry point: installs the {@link ParentWatchdog}, then runs another class's {@code main}.
 *
 * <p>
 * Usage: {@code java -cp ... dev.kiln.devstack.process.WatchedMain <main class> [args...]}.
 */
public final class WatchedMain {

    private WatchedMain() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: WatchedMain <main class> [args...]");
        }
        ParentWatchdog.install();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
