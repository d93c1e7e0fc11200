package dev.kiln.api.ledger;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.kiln.common.ledger.LedgerJson;
import dev.kiln.common.ledger.LedgerRecord;

/**
 * Sends mirrored ledger records to Kafka: key = account id (the default partitioner hashes it, so one
 * account's records keep their order in one partition), value = {@link LedgerJson} of the record;
 * idempotent producer, {@code acks=all}, every wait bounded by the send timeout.
 *
 * <p>
 * A plain producer rather than a SmallRye channel like {@code jobs-out}: the channel's sink keeps
 * every failed send in its health report for good, so one pass attempted while Kafka is down would turn
 * the API's liveness check down and get every replica restarted for a background task. The mirror also
 * needs what the producer gives directly: one future per record, in send order, to advance the cursor
 * over exactly the acknowledged prefix.
 */
public final class LedgerProducer implements AutoCloseable {
    private final KafkaProducer<String, String> producer;
    private final String topic;

    /** @param sendTimeout bound on one record's delivery; metadata and request waits take a third each */
    public LedgerProducer(String bootstrapServers, String topic, Duration sendTimeout) {
        this.topic = topic;
        long third = Math.max(1, sendTimeout.toMillis() / 3);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "kiln-api-ledger-mirror");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(third));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(third));
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.max(sendTimeout.toMillis(), third + 5)));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        this.producer = new KafkaProducer<>(p);
    }

    /**
     * Hands the record to the producer; the future completes when Kafka acknowledged it. Blocks at most
     * a third of the send timeout when the broker's metadata is not known (Kafka down), then fails.
     */
    public Future<RecordMetadata> send(LedgerRecord record) {
        return producer.send(new ProducerRecord<>(topic, record.account(), LedgerJson.toJson(record)));
    }

    public String topic() {
        return topic;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
