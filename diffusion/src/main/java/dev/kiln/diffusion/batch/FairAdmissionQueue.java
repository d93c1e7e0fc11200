package dev.kiln.diffusion.batch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The requests waiting to join a {@link StepBatchExecutor}, bounded, in the order they should join:
 *
 * <ol>
 * <li><b>Deadlines first</b>: a request whose latest start ({@code deadline - estimated run time - margin})
 * has come joins before anything else, earliest deadline first;</li>
 * <li>otherwise <b>weighted fair share between tenants</b> (accounts): each tenant's served UNet rows are
 * counted divided by its weight, and the tenant with the least joins next (start-time fair queueing: a
 * tenant that was idle starts from the least served active tenant's count, so idleness banks no credit);
 * one tenant's burst therefore waits behind the others' single requests instead of starving them;</li>
 * <li>within a tenant, arrival order.</li>
 * </ol>
 *
 * Only requests the caller's {@code fits} predicate accepts are taken (e.g. their latent size still has free
 * rows), so a full size group does not block another. Thread-safe: producers {@link #put} from the intake
 * thread, the device thread {@link #poll}s.
 *
 * @param <T> the caller's request type
 */
public final class FairAdmissionQueue<T> {

    /** What the queue needs to know about a request. */
    public interface Describer<T> {
        /** Who the request is for (an account): the unit of fair share. */
        String tenant(T item);

        /** The tenant's share relative to others (e.g. per tier); equal weights by default. */
        default double weight(T item) {
            return 1.0;
        }

        /** UNet rows the request takes per call: what its tenant is charged when it joins. */
        int rows(T item);

        /** Epoch millis after which the request is worthless, or 0 for none. */
        long deadlineMillis(T item);

        /** Estimated millis from joining to finishing. */
        long estimatedRunMillis(T item);
    }

    /** Why a {@link #put} did not queue the request. */
    public enum Admission {
        ACCEPTED,
        QUEUE_FULL,
        CLOSED
    }

    private final Describer<T> describer;
    private final int capacity;
    private final long deadlineMarginMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition notEmpty = lock.newCondition();
    private final Map<String, Tenant<T>> tenants = new LinkedHashMap<>();
    private final Map<String, Double> servedByTenant = new HashMap<>();
    private int size;
    private long arrivals;
    private boolean closed;

    /**
     * @param capacity most requests held
     * @param deadlineMarginMillis slack added to a request's estimated run time when deciding it is urgent
     */
    public FairAdmissionQueue(Describer<T> describer, int capacity, long deadlineMarginMillis) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.describer = describer;
        this.capacity = capacity;
        this.deadlineMarginMillis = Math.max(0, deadlineMarginMillis);
    }

    private static final class Tenant<T> {
        final ArrayDeque<Entry<T>> items = new ArrayDeque<>();
    }

    private record Entry<T>(T item, long arrival, long enqueuedNanos) {
    }

    /** Queues a request if there is room and the queue is open; never blocks. */
    public Admission offer(T item) {
        lock.lock();
        try {
            if (closed) {
                return Admission.CLOSED;
            }
            if (size >= capacity) {
                return Admission.QUEUE_FULL;
            }
            enqueue(item);
            return Admission.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a request, waiting up to {@code timeout} for room. */
    public Admission put(T item, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (!closed && size >= capacity) {
                if (nanos <= 0) {
                    return Admission.QUEUE_FULL;
                }
                nanos = notFull.awaitNanos(nanos);
            }
            if (closed) {
                return Admission.CLOSED;
            }
            enqueue(item);
            return Admission.ACCEPTED;
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(T item) {
        String name = describer.tenant(item);
        if (!tenants.containsKey(name)) {
            // An idle tenant (re-)enters at the least served active tenant's count: idleness banks no credit.
            servedByTenant.put(name, leastServedActive());
            tenants.put(name, new Tenant<>());
        }
        Tenant<T> tenant = tenants.get(name);
        tenant.items.addLast(new Entry<>(item, arrivals++, System.nanoTime()));
        size++;
        notEmpty.signalAll();
    }

    private double leastServedActive() {
        double least = Double.NaN;
        for (Map.Entry<String, Tenant<T>> e : tenants.entrySet()) {
            if (!e.getValue().items.isEmpty()) {
                double served = servedByTenant.getOrDefault(e.getKey(), 0.0);
                least = Double.isNaN(least) ? served : Math.min(least, served);
            }
        }
        return Double.isNaN(least) ? 0.0 : least;
    }

    /**
     * The next request to join among those {@code fits} accepts (see the class comment), removed from the
     * queue; empty when none fits.
     */
    public Optional<Taken<T>> poll(Predicate<T> fits, long nowMillis) {
        lock.lock();
        try {
            Entry<T> chosen = mostUrgent(fits, nowMillis);
            String tenantName = null;
            if (chosen != null) {
                tenantName = describer.tenant(chosen.item());
            } else {
                double best = Double.POSITIVE_INFINITY;
                for (Map.Entry<String, Tenant<T>> e : tenants.entrySet()) {
                    double served = servedByTenant.getOrDefault(e.getKey(), 0.0);
                    if (served >= best) {
                        continue;
                    }
                    for (Entry<T> entry : e.getValue().items) {
                        if (fits.test(entry.item())) {
                            chosen = entry;
                            tenantName = e.getKey();
                            best = served;
                            break;
                        }
                    }
                }
            }
            if (chosen == null) {
                return Optional.empty();
            }
            double weight = Math.max(1e-9, describer.weight(chosen.item()));
            servedByTenant.merge(tenantName, describer.rows(chosen.item()) / weight, Double::sum);
            removeEntry(tenantName, chosen);
            notFull.signalAll();
            return Optional.of(new Taken<>(chosen.item(), System.nanoTime() - chosen.enqueuedNanos()));
        } finally {
            lock.unlock();
        }
    }

    /** Forgets a tenant with nothing queued, so the bookkeeping is bounded by the queue, not by all accounts. */
    private void removeEntry(String tenantName, Entry<T> entry) {
        Tenant<T> tenant = tenants.get(tenantName);
        tenant.items.remove(entry);
        size--;
        if (tenant.items.isEmpty()) {
            tenants.remove(tenantName);
            servedByTenant.remove(tenantName);
        }
    }

    /** A request leaving the queue and how long it waited there. */
    public record Taken<T>(T item, long queuedNanos) {
    }

    private Entry<T> mostUrgent(Predicate<T> fits, long nowMillis) {
        Entry<T> urgent = null;
        for (Tenant<T> tenant : tenants.values()) {
            for (Entry<T> entry : tenant.items) {
                long deadline = describer.deadlineMillis(entry.item());
                if (deadline <= 0) {
                    continue;
                }
                long latestStart = deadline - describer.estimatedRunMillis(entry.item()) - deadlineMarginMillis;
                if (latestStart <= nowMillis && fits.test(entry.item())
                        && (urgent == null || deadline < describer.deadlineMillis(urgent.item()))) {
                    urgent = entry;
                }
            }
        }
        return urgent;
    }

    /** Removes and returns every queued request {@code dead} accepts (e.g. past its deadline). */
    public List<T> removeIf(Predicate<T> dead) {
        lock.lock();
        try {
            List<T> removed = new ArrayList<>();
            for (Iterator<Map.Entry<String, Tenant<T>>> tenantIt = tenants.entrySet().iterator(); tenantIt.hasNext();) {
                Map.Entry<String, Tenant<T>> tenant = tenantIt.next();
                for (Iterator<Entry<T>> it = tenant.getValue().items.iterator(); it.hasNext();) {
                    T item = it.next().item();
                    if (dead.test(item)) {
                        it.remove();
                        removed.add(item);
                    }
                }
                if (tenant.getValue().items.isEmpty()) {
                    tenantIt.remove();
                    servedByTenant.remove(tenant.getKey());
                }
            }
            size -= removed.size();
            if (!removed.isEmpty()) {
                notFull.signalAll();
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeout} until a request is queued or the queue closes; true when one is queued. */
    public boolean awaitNotEmpty(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (size == 0 && !closed && nanos > 0) {
                nanos = notEmpty.awaitNanos(nanos);
            }
            return size > 0;
        } finally {
            lock.unlock();
        }
    }

    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Stops admission and returns every queued request in arrival order; blocked producers get CLOSED. */
    public List<T> shutdownNow() {
        lock.lock();
        try {
            closed = true;
            List<Entry<T>> all = new ArrayList<>(size);
            tenants.values().forEach(t -> all.addAll(t.items));
            tenants.clear();
            servedByTenant.clear();
            size = 0;
            all.sort((a, b) -> Long.compare(a.arrival(), b.arrival()));
            notFull.signalAll();
            notEmpty.signalAll();
            return all.stream().map(Entry::item).toList();
        } finally {
            lock.unlock();
        }
    }
}
