"""The KIP-848 consumer group protocol (Kafka's ``org.apache.kafka.coordinator.group.modern``)."""
