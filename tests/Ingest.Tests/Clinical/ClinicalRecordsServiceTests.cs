using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using PatientStream.Ingest.Clinical;
using PatientStream.Ingest.Fhir;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.Clinical;

[Collection(ServerTestGroup.Name)]
public sealed class ClinicalRecordsServiceTests(KafkaFixture kafka, InfluxFixture influx)
{
    [Fact]
    public async Task Bad_records_are_dead_lettered_with_their_reason_and_the_partition_moves_on()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-k1", "MRN-300");
        using var scenario = new IngestScenario(kafka, influx);
        var options = Options();
        using var producer = new KafkaProducer(kafka.Options("ehr"));
        var (dlq, stopDlq) = scenario.ReadTopic(options.DeadLetterTopic, producer);
        var writer = new SignalingWriter(new FhirServiceWriter(store.Fhir));
        using var service = new ClinicalRecordsService(kafka.Options("clinical"), options, new FhirServicePatientDirectory(store.Fhir), writer,
            new StderrLoggerFactory());
        await service.StartAsync(CancellationToken.None);
        await service.Started.WaitAsync(IngestScenario.Deadline);

        // One key, so one partition: the good record waits behind the bad ones.
        await Produce(producer, options.Topic, "MRN-300", Encoding.UTF8.GetBytes("{not json"));
        await Produce(producer, options.Topic, "MRN-300", EhrRecords.Bytes(EhrRecords.Visit("MRN-unknown")));
        await Produce(producer, options.Topic, "MRN-300", Encoding.UTF8.GetBytes("""{"resourceType":"Bundle","type":"searchset"}"""));
        await new ClinicalRecordPublisher(producer, EhrRecords.MrnSystem, options.Topic).PublishAsync(EhrRecords.Visit("MRN-300"), CancellationToken.None);

        var letters = (await dlq.Records.ReadManyAsync(3, IngestScenario.Deadline)).Select(Letter).ToList();
        await writer.Written.ReadAsync().AsTask().WaitAsync(IngestScenario.Deadline);
        await service.StopAsync(CancellationToken.None);
        await stopDlq.DisposeAsync();

        Assert.Equal(
            [ClinicalRejectCodes.Unparseable, ClinicalRejectCodes.UnknownPatient, ClinicalRejectCodes.BundleType],
            letters.Select(l => l.Reason[..l.Reason.IndexOf(':', StringComparison.Ordinal)]));
        Assert.All(letters, l => Assert.Equal("clinical", l.Stage));
        Assert.All(letters, l => Assert.Equal(options.Topic, l.SourceTopic));
        Assert.Equal("{not json", letters[0].Value);
        Assert.Single(await store.SearchAsync("Condition", "patient=Patient/p-k1"));
        Assert.Equal(1, service.Counters!.Merged);
        Assert.Equal(3, service.Counters.Rejected);
    }

    [Fact]
    public async Task A_second_consumption_of_the_topic_updates_and_duplicates_nothing()
    {
        await using var store = await ClinicalStore.OpenAsync();
        await store.EnrolAsync("p-k2", "MRN-301");
        var options = Options();
        using var producer = new KafkaProducer(kafka.Options("ehr"));
        await new ClinicalRecordPublisher(producer, EhrRecords.MrnSystem, options.Topic).PublishAsync(EhrRecords.Visit("MRN-301"), CancellationToken.None);

        // A new group reads the topic from the start: what a lost offset commit or a reprocessing run amounts to.
        for (var run = 0; run < 2; run++)
        {
            var writer = new SignalingWriter(new FhirServiceWriter(store.Fhir));
            using var service = new ClinicalRecordsService(kafka.Options("clinical"), options with { GroupId = $"clinical-{Guid.NewGuid():N}" },
                new FhirServicePatientDirectory(store.Fhir), writer);
            await service.StartAsync(CancellationToken.None);
            await writer.Written.ReadAsync().AsTask().WaitAsync(IngestScenario.Deadline);
            await service.StopAsync(CancellationToken.None);
        }

        var observation = Assert.Single(await store.SearchAsync("Observation", "patient=Patient/p-k2"));
        Assert.Equal("2", observation["meta"]!["versionId"]!.GetValue<string>());
        Assert.Single(await store.SearchAsync("Encounter", "patient=Patient/p-k2"));
        Assert.Single(await store.SearchAsync("Patient", "_count=10"));
    }

    [Fact]
    public async Task Publisher_keys_each_record_by_the_mrn_it_names()
    {
        using var scenario = new IngestScenario(kafka, influx);
        var topic = KafkaFixture.UniqueTopic("clinical");
        using var producer = new KafkaProducer(kafka.Options("ehr"));
        var publisher = new ClinicalRecordPublisher(producer, EhrRecords.MrnSystem, topic);
        var (records, stop) = scenario.ReadTopic(topic, producer);

        var visit = await publisher.PublishAsync(EhrRecords.Visit("MRN-302"), CancellationToken.None);
        var lab = await publisher.PublishAsync(EhrRecords.LabResult("MRN-303"), CancellationToken.None);

        Assert.True(visit.Delivered && lab.Delivered);
        var read = await records.Records.ReadManyAsync(2, IngestScenario.Deadline);
        await stop.DisposeAsync();
        Assert.Equal(["MRN-302", "MRN-303"], read.Select(r => r.Key!).Order(StringComparer.Ordinal));
        Assert.Equal("Bundle", JsonNode.Parse(read[0].Value)!["resourceType"]!.GetValue<string>());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(
            ClinicalRecordPublisher.Collection([new JsonObject { ["resourceType"] = "Practitioner", ["id"] = "dr" }]), CancellationToken.None));
        Assert.Contains(ClinicalRejectCodes.NoPatient, error.Message, StringComparison.Ordinal);
    }

    private static ClinicalOptions Options() => EhrRecords.Options with
    {
        Topic = KafkaFixture.UniqueTopic("clinical"),
        DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"),
        GroupId = $"clinical-{Guid.NewGuid():N}",
    };

    private static async Task Produce(KafkaProducer producer, string topic, string key, byte[] value)
    {
        var report = await producer.ProduceAsync(topic, key, value, CancellationToken.None);
        Assert.True(report.Delivered, report.Failure?.Reason);
    }

    private static DeadLetter Letter(KafkaRecord record)
    {
        Assert.True(ContractsJson.TryParse(record.Value, out DeadLetter? letter, out var error), error);
        return letter!;
    }

    /// <summary>The real FHIR writer, announcing each transaction once it is durable.</summary>
    private sealed class SignalingWriter(IFhirWriter inner) : IFhirWriter
    {
        private readonly Channel<JsonObject> _written = Channel.CreateUnbounded<JsonObject>();

        public ChannelReader<JsonObject> Written => _written.Reader;

        public async Task WriteTransactionAsync(JsonObject bundle, CancellationToken cancellationToken)
        {
            await inner.WriteTransactionAsync(bundle, cancellationToken);
            _written.Writer.TryWrite(bundle);
        }
    }
}
