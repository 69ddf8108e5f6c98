using System.Threading.Channels;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Kafka;
using PatientStream.Analytics.Patients;
using PatientStream.Analytics.Tests.Patients;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Analytics.Tests.Kafka;

[Collection(KafkaTestGroup.Name)]
public sealed class KafkaDeadLetterTests(KafkaFixture kafka)
{
    /// <summary>An input the patient actor does not know: it throws on every attempt.</summary>
    private sealed record Unknown(string PatientId) : PatientInput(PatientId);

    [Fact]
    public void Patient_inputs_round_trip_as_json_with_a_type_discriminator()
    {
        PatientInput[] inputs =
        [
            new Measurement("p", "d", MeasurementCodes.HeartRate, PatientDriver.Start, 71.5, "/min", MeasurementQuality.Late, "Observation/1"),
            new ClinicalContext("p", PatientDriver.Start, HypercapnicRespiratoryFailure: true, HeartFailure: false),
            new ClockTick("p", PatientDriver.Start),
        ];

        foreach (var input in inputs)
        {
            Assert.True(PatientInputJson.TryParse(PatientInputJson.Serialize(input), out var parsed, out var error), error);
            Assert.Equal(input, parsed);
        }

        Assert.False(PatientInputJson.TryParse("{\"type\":\"nope\"}"u8, out _, out var reason));
        Assert.NotNull(reason);
    }

    [Fact]
    public async Task A_poison_input_goes_to_the_dead_letter_topic_and_the_patient_goes_on()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var folder = new Support.TempFolder();
        var dlqTopic = KafkaFixture.UniqueTopic("dlq");
        using var producer = new KafkaProducer(kafka.Options("analytics"));
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), deadline.Token);
        var sink = new RecordingSink();
        await using var runtime = PatientAnalytics.CreateRuntime(
            new PatientAnalyticsOptions(),
            new ActorRuntimeOptions { IdleTimeout = TimeSpan.FromHours(2) },
            store,
            sink,
            KafkaDeadLetters.ForPatients(producer, dlqTopic));

        await runtime.SendAsync("p", new Unknown("p"), deadline.Token);
        await runtime.SendAsync("p", new Measurement("p", "watch", MeasurementCodes.HeartRate, PatientDriver.Start, 140, "/min"), deadline.Token);
        await sink.Reader.ReadAsync(deadline.Token);

        var received = Channel.CreateUnbounded<KafkaRecord>();
        using var stop = new CancellationTokenSource();
        var loop = new ConsumerLoop(kafka.Options("reader"), new ConsumerLoopOptions($"g-{Guid.NewGuid():N}", [dlqTopic], "dlq-reader"), new CollectingHandler(received.Writer), producer);
        var run = loop.RunAsync(stop.Token);
        var record = await received.Reader.ReadAsync(deadline.Token);
        await stop.CancelAsync();
        await run;

        Assert.Equal("p", record.Key);
        Assert.True(ContractsJson.TryParse(record.Value, out DeadLetter? letter, out var error), error);
        Assert.Equal(KafkaDeadLetters.Stage, letter!.Stage);
        Assert.Equal("patient actor failed 3 times: ArgumentException", letter.Reason);
        Assert.Contains("Unknown", letter.Value, StringComparison.Ordinal);
        Assert.Single(sink.Risks);
    }
}
