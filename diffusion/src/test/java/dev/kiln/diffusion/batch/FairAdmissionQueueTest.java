package dev.kiln.diffusion.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class FairAdmissionQueueTest {

    private record Req(String id, String account, double weight, int rows, long deadline, long runMillis) {
        static Req of(String id, String account) {
            return new Req(id, account, 1.0, 2, 0, 1000);
        }
    }

    private static final FairAdmissionQueue.Describer<Req> DESCRIBER = new FairAdmissionQueue.Describer<>() {
        @Override
        public String tenant(Req item) {
            return item.account();
        }

        @Override
        public double weight(Req item) {
            return item.weight();
        }

        @Override
        public int rows(Req item) {
            return item.rows();
        }

        @Override
        public long deadlineMillis(Req item) {
            return item.deadline();
        }

        @Override
        public long estimatedRunMillis(Req item) {
            return item.runMillis();
        }
    };

    private static List<String> drain(FairAdmissionQueue<Req> queue, long now) {
        List<String> order = new ArrayList<>();
        Optional<FairAdmissionQueue.Taken<Req>> next;
        while ((next = queue.poll(r -> true, now)).isPresent()) {
            order.add(next.get().item().id());
        }
        return order;
    }

    @Test
    void oneAccountsBurstDoesNotStarveAnotherAccount() {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 100, 0);
        for (int i = 1; i <= 6; i++) {
            queue.offer(Req.of("a" + i, "a"));
        }
        queue.offer(Req.of("b1", "b"));
        queue.offer(Req.of("b2", "b"));
        assertThat(drain(queue, 0)).containsExactly("a1", "b1", "a2", "b2", "a3", "a4", "a5", "a6");
    }

    @Test
    void sharesRowsInProportionToTheTenantsWeights() {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 100, 0);
        for (int i = 1; i <= 6; i++) {
            queue.offer(new Req("gold" + i, "gold", 2.0, 2, 0, 1000));
            queue.offer(new Req("free" + i, "free", 1.0, 2, 0, 1000));
        }
        List<String> firstSix = drain(queue, 0).subList(0, 6);
        assertThat(firstSix.stream().filter(id -> id.startsWith("gold"))).hasSize(4);
    }

    @Test
    void admitsAWeightFourTenantFourTimesAsOftenAsAWeightOneTenantWithoutStarvingIt() {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 100, 0);
        for (int i = 1; i <= 40; i++) {
            queue.offer(new Req("one" + i, "one", 1.0, 2, 0, 1000));
            queue.offer(new Req("four" + i, "four", 4.0, 2, 0, 1000));
        }
        List<String> order = drain(queue, 0).subList(0, 40);

        assertThat(order).filteredOn(id -> id.startsWith("four")).hasSize(32);
        assertThat(order).filteredOn(id -> id.startsWith("one")).hasSize(8);
        // Under contention the weight-1 tenant joins at least once in every five admissions.
        for (int from = 0; from + 5 <= order.size(); from++) {
            assertThat(order.subList(from, from + 5)).anyMatch(id -> id.startsWith("one"));
        }
    }

    @Test
    void aRequestThatWouldMissItsDeadlineJumpsTheFairOrder() {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 100, 100);
        queue.offer(Req.of("a1", "a"));
        queue.offer(Req.of("a2", "a"));
        queue.offer(new Req("b-urgent", "b", 1.0, 2, 10_000, 9_000));
        queue.offer(new Req("c-relaxed", "c", 1.0, 2, 60_000, 9_000));
        // At t=950 b's latest start (10000 - 9000 - 100 = 900) has passed; c's has not.
        assertThat(drain(queue, 950)).startsWith("b-urgent", "a1", "c-relaxed");
    }

    @Test
    void takesOnlyRequestsThatFitAndKeepsTheRest() {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 100, 0);
        queue.offer(new Req("big", "a", 1.0, 8, 0, 1000));
        queue.offer(Req.of("small", "a"));
        assertThat(queue.poll(r -> r.rows() <= 2, 0)).map(t -> t.item().id()).hasValue("small");
        assertThat(queue.size()).isEqualTo(1);
    }

    @Test
    void refusesBeyondItsCapacityAndAfterShutdown() throws InterruptedException {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 2, 0);
        assertThat(queue.offer(Req.of("1", "a"))).isEqualTo(FairAdmissionQueue.Admission.ACCEPTED);
        assertThat(queue.offer(Req.of("2", "b"))).isEqualTo(FairAdmissionQueue.Admission.ACCEPTED);
        assertThat(queue.put(Req.of("3", "a"), 10, TimeUnit.MILLISECONDS))
                .isEqualTo(FairAdmissionQueue.Admission.QUEUE_FULL);
        assertThat(queue.shutdownNow()).extracting(Req::id).containsExactly("1", "2");
        assertThat(queue.offer(Req.of("4", "a"))).isEqualTo(FairAdmissionQueue.Admission.CLOSED);
    }

    @Test
    void removesDeadRequests() {
        FairAdmissionQueue<Req> queue = new FairAdmissionQueue<>(DESCRIBER, 10, 0);
        queue.offer(new Req("late", "a", 1.0, 2, 5, 1));
        queue.offer(Req.of("fine", "a"));
        assertThat(queue.removeIf(r -> r.deadline() > 0 && r.deadline() <= 10)).extracting(Req::id)
                .containsExactly("late");
        assertThat(drain(queue, 10)).containsExactly("fine");
    }
}
