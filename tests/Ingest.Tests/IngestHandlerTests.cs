using System.Text;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Influx;
using PatientStream.Ingest.Tests.Influx;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;
using static PatientStream.Ingest.Tests.Readings;

namespace PatientStream.Ingest.Tests;

[Collection(ServerTestGroup.Name)]
public sealed class IngestHandlerTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly DateTimeOffset s_t0 = Received.AddMinutes(-30);

    [Fact]
    public async Task Clean_samples_reach_influx_and_every_refusal_reaches_its_topic_with_its_code()
    {
        using var scenario = new IngestScenario(kafka, influx);
        using var producer = new KafkaProducer(kafka.Options("producer"));
        await PrepareAsync(scenario, producer);
        // A measurement that already holds strings in the same shard: the glucose float below is refused by InfluxDB in a partial write.
        using (var http = new HttpClient())
        {
            var conflicting = new HttpInfluxWriter(http, scenario.InfluxOptions);
            await conflicting.EnsureDatabaseAsync(CancellationToken.None);
            await conflicting.WriteAsync([new InfluxPoint("glucose", [], [InfluxField.OfText("value", "n/a")], InfluxPoint.ToUnixNanoseconds(s_t0) - 1)], CancellationToken.None);
        }
        var sink = new ChannelSink();

        await scenario.ProduceAsync(producer,
            Reading("dev-1", "Patient/p1", 1,
            [
                Scalar("heart-rate", 72, "bpm", s_t0),
                Scalar("body-temperature", 98.6, "[degF]", s_t0),
                Scalar("spo2", 45, "%", s_t0),
                Scalar("blood-alcohol", 0.1, "%", s_t0),
                Scalar("heart-rate", null, "/min", s_t0.AddSeconds(1)),
                Scalar("heart-rate", 60, null, s_t0.AddSeconds(2)),
                Scalar("heart-rate", 60, "furlongs", s_t0.AddSeconds(3)),
                Scalar("heart-rate", 60, "/min") with { Time = default },
                Scalar("heart-rate", 60, "/min", Received.AddHours(1)),
                Scalar("heart-rate", 60, "/min", new DateTimeOffset(1990, 1, 1, 0, 0, 0, TimeSpan.Zero)),
                Wave([0.1, 0.2], periodMs: 0, time: s_t0),
            ]),
            Reading("dev-1", "Patient/p1", 2, [Scalar("heart-rate", 80, "/min", s_t0.AddMinutes(20))]),
            Reading("dev-1", "Patient/p1", 3, [Scalar("heart-rate", 81, "/min", s_t0.AddMinutes(15)), Scalar("heart-rate", 82, "/min", s_t0.AddMinutes(1))]),
            Reading("dev-1", "Patient/p1", 4, [Scalar("glucose", 5.5, "mmol/L", s_t0)]),
            Reading("dev-1", "Patient/p1", 5, [Wave([0.1, -0.2, 0.3], time: s_t0)]));
        await scenario.ProduceAsync(producer, "Patient/p1", Encoding.UTF8.GetBytes("{not json"));
        await scenario.ProduceAsync(producer, Reading("dev-1", "Patient/p1", 6, [Scalar("heart-rate", 72, "/min", s_t0)]) with { Version = 2 });
        var mismatch = Reading("dev-1", "Patient/p1", 7, [Scalar("heart-rate", 72, "/min", s_t0)]);
        await scenario.ProduceAsync(producer, mismatch with { Batch = mismatch.Batch with { Device = "dev-9" } });
        await scenario.ProduceAsync(producer, Sentinel(8));

        await using var run = await scenario.StartAsync(sink);
        var (dlq, stopDlq) = scenario.ReadTopic(scenario.DeadLetterTopic, producer);
        var (late, stopLate) = scenario.ReadTopic(scenario.LateTopic, producer);
        await using (stopDlq)
        await using (stopLate)
        {
            var written = await sink.Samples.ReadUntilAsync(s => s.Type == SampleTypes.Steps, IngestScenario.Deadline);
            var letters = (await dlq.Records.ReadManyAsync(13, IngestScenario.Deadline)).Where(r => r.Key != "warm-up").Select(Letter).ToList();
            var lateLetters = (await late.Records.ReadManyAsync(2, IngestScenario.Deadline)).Where(r => r.Key != "warm-up").Select(Letter).ToList();

            Assert.Equal(
                new[]
                {
                    RejectCodes.UnknownType, RejectCodes.MissingValue, RejectCodes.MissingUnit, RejectCodes.UnknownUnit, RejectCodes.MissingTime,
                    RejectCodes.TimeInFuture, RejectCodes.TimeTooOld, RejectCodes.BadWaveform, RejectCodes.InfluxPartialWrite,
                    RejectCodes.PayloadUnparseable, RejectCodes.PayloadUnsupportedVersion, RejectCodes.PayloadInconsistent,
                }.Order(),
                letters.Select(l => l.Reason.Split(':')[0]).Order());
            Assert.All(letters, l => Assert.Equal("ingest", l.Stage));
            var lateLetter = Assert.Single(lateLetters);
            Assert.StartsWith(RejectCodes.TooLate + ": ", lateLetter.Reason, StringComparison.Ordinal);
            Assert.True(ContractsJson.TryParse(Encoding.UTF8.GetBytes(lateLetter.Value!), out RawReading? replay, out _));
            Assert.Equal(82, Assert.Single(replay!.Batch.Samples).Value);

            Assert.Equal(["heart-rate", "body-temperature", "spo2", "heart-rate", "heart-rate", "ecg", "steps"], written.Select(s => s.Type.Name));
            var hr = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value, quality FROM \"heart-rate\"");
            Assert.Equal([(72.0, "ok"), (81.0, "out-of-order"), (80.0, "ok")], hr.Select(r => (r[1].GetDouble(), r[2].GetString())));
            var temperature = Assert.Single(await InfluxQuery.RowsAsync(influx, scenario.Database,
                "SELECT value, source_value, source_unit, patient, device FROM \"body-temperature\""));
            Assert.Equal(37.0, temperature[1].GetDouble(), 6);
            Assert.Equal(98.6, temperature[2].GetDouble());
            Assert.Equal("[degF]", temperature[3].GetString());
            Assert.Equal("Patient/p1", temperature[4].GetString());
            Assert.Equal("dev-1", temperature[5].GetString());
            Assert.Equal("implausible", Assert.Single(await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT quality, value FROM spo2"))[1].GetString());
            var ecg = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value FROM ecg");
            var t0Ns = InfluxPoint.ToUnixNanoseconds(s_t0);
            Assert.Equal([t0Ns, t0Ns + 4_000_000, t0Ns + 8_000_000], ecg.Select(r => r[0].GetInt64()));
            // Record-level dead letters are written after their batch returned, so the counters are final here.
            Assert.Equal(3, run.Counters.RejectedRecords);
            Assert.Equal(1, run.Counters.LateSamples);
            Assert.Equal(9, run.Counters.RejectedSamples);
        }
    }

    [Fact]
    public async Task Retransmitted_batches_and_samples_are_recognised_across_a_restart()
    {
        using var scenario = new IngestScenario(kafka, influx);
        using var producer = new KafkaProducer(kafka.Options("producer"));
        await PrepareAsync(scenario, producer);
        var first = Reading("dev-1", "Patient/p1", 1, [Scalar("heart-rate", 70, "/min", s_t0), Scalar("heart-rate", 71, "/min", s_t0.AddSeconds(1))]);
        await scenario.ProduceAsync(producer, first, Sentinel(2));
        var before = new ChannelSink();
        await using (var run = await scenario.StartAsync(before))
        {
            var written = await before.Samples.ReadUntilAsync(s => s.Type == SampleTypes.Steps, IngestScenario.Deadline);
            Assert.Equal(3, written.Count);
        }

        var after = new ChannelSink();
        await scenario.ProduceAsync(producer,
            first,
            Reading("dev-1", "Patient/p1", 3, [Scalar("heart-rate", 71, "/min", s_t0.AddSeconds(1)), Scalar("heart-rate", 72, "/min", s_t0.AddSeconds(2))]),
            Sentinel(4));
        var restarted = await scenario.StartAsync(after);

        var replayed = await after.Samples.ReadUntilAsync(s => s.Type == SampleTypes.Steps, IngestScenario.Deadline);
        // Stopping waits for the batch in hand, so the counters are final afterwards.
        await restarted.DisposeAsync();
        Assert.Equal([72.0, 5.0], replayed.Select(s => s.Value!.Value));
        Assert.Equal(1, restarted.Counters.DuplicateBatches);
        Assert.Equal(1, restarted.Counters.DuplicateSamples);
        var rows = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value FROM \"heart-rate\"");
        Assert.Equal([70.0, 71.0, 72.0], rows.Select(r => r[1].GetDouble()));
    }

    /// <summary>Creates the topics (the mock cluster creates them on first use) so readers never wait for metadata.</summary>
    internal static async Task PrepareAsync(IngestScenario scenario, KafkaProducer producer)
    {
        foreach (var topic in new[] { scenario.DeadLetterTopic, scenario.LateTopic })
        {
            Assert.True((await producer.ProduceAsync(topic, "warm-up", [1], CancellationToken.None)).Delivered);
        }
    }

    /// <summary>The last reading of a test: when its steps sample reaches the sink, everything before it on the partition is handled.</summary>
    internal static RawReading Sentinel(long seq) => Reading("dev-1", "Patient/p1", seq, [Scalar("steps", 5, "steps", s_t0.AddMinutes(25).AddSeconds(seq))]);

    private static DeadLetter Letter(KafkaRecord record)
    {
        Assert.True(ContractsJson.TryParse(record.Value, out DeadLetter? letter, out var error), error);
        return letter!;
    }
}
