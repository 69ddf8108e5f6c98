using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PatientStream.Analytics.Contracts;
using PatientStream.Fhir.Service;
using PatientStream.Host.Commands;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class AnalyticsCommandTests(KafkaFixture kafka)
{
    [Fact]
    public async Task A_deteriorating_patient_gets_a_high_risk_assessment_a_flag_and_an_alert()
    {
        using var data = new TempFolder("analytics-cmd");
        var patient = $"p-an-{Guid.NewGuid():N}";
        var settings = new AnalyticsSettings(kafka.BootstrapServers, data.Path, "sqlite", null)
        {
            GroupId = $"g-{Guid.NewGuid():N}",
            ReadingsTopic = KafkaFixture.UniqueTopic("raw"),
            AlertsTopic = KafkaFixture.UniqueTopic("alerts"),
            DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"),
        };
        await ProduceDeterioratingAsync(settings.ReadingsTopic, patient);

        var alerts = Channel.CreateUnbounded<KafkaRecord>();
        using var stopAlerts = new CancellationTokenSource();
        using var alertDeadLetters = new KafkaProducer(kafka.Options("alert-reader"));
        var alertLoop = new ConsumerLoop(kafka.Options("alert-reader"), new ConsumerLoopOptions($"g-{Guid.NewGuid():N}", [settings.AlertsTopic], "test"),
            new ChannelHandler(alerts.Writer), alertDeadLetters).RunAsync(stopAlerts.Token);

        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = AnalyticsCommand.RunAsync(settings, output, stop.Token);
        Assert.StartsWith("READY analytics", await output.Ready.WaitAsync(PipelineServers.Deadline), StringComparison.Ordinal);

        // The FHIR sink runs before the alert sink, so once the emergency alert is on Kafka its Flag and the high
        // RiskAssessment that raised it are in the store.
        var alert = await FirstEmergencyAsync(alerts.Reader, patient);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
        await stopAlerts.CancelAsync();
        await alertLoop.WaitAsync(PipelineServers.Deadline);

        Assert.Equal("news2-risk", alert.Kind);
        Assert.Contains(alert.Transition, new[] { AlertTransition.Raised, AlertTransition.Escalated });
        var (risks, flags) = await ReadFhirAsync(data.Path, patient);
        Assert.Contains(risks, r => QualitativeRisk(r) == "high");
        var flag = Assert.Single(flags, f => f["id"]?.GetValue<string>() == alert.AlertId);
        Assert.Equal("active", flag["status"]?.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(data.Path, "analytics", "snapshots.db")));
    }

    [Fact]
    public void Analytics_settings_name_every_problem()
    {
        var problems = new AnalyticsSettings("not-a-host-port", "data", "postgres", null).Problems().ToList();

        Assert.Contains(problems, p => p.StartsWith("--kafka", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--store postgres", StringComparison.Ordinal));
        Assert.Empty(new AnalyticsSettings("127.0.0.1:9092", "data", "sqlite", null).Problems());
    }

    [Fact]
    public void A_raw_reading_becomes_measurements_with_loinc_codes_and_ucum_units()
    {
        using var data = new TempFolder("analytics-map");
        var now = DateTimeOffset.UtcNow.AddSeconds(-5);
        var reading = new RawReading
        {
            Device = "dev-m",
            Patient = "p-m",
            Received = now,
            Consent = new ConsentStamp("permit"),
            Batch = new DeviceBatch
            {
                Device = "dev-m",
                Seq = 1,
                Sent = now,
                Samples =
                [
                    new Sample { Type = "body-temperature", Value = 101.3, Unit = "[degF]", Time = now },
                    new Sample { Type = ReadingMeasurements.OxygenFlowType, Value = 2, Unit = "L/min", Time = now },
                    new Sample { Type = ReadingMeasurements.ConsciousnessType, Value = 2, Unit = "{score}", Time = now },
                    new Sample { Type = "no-such-type", Value = 1, Unit = "1", Time = now },
                ],
            },
        };
        var mapper = new ReadingMeasurements(data.Path);
        var messages = new List<PatientInput>();

        Assert.True(mapper.Expand(new KafkaRecord("raw", 0, 0, "p-m", ContractsJson.Serialize(reading), now), messages, out var error));
        Assert.Null(error);
        var measurements = messages.Cast<Measurement>().ToDictionary(m => m.Code);
        Assert.Equal(3, measurements.Count);
        Assert.Equal(38.5, measurements[MeasurementCodes.BodyTemperature].Value, 6);
        Assert.Equal("Cel", measurements[MeasurementCodes.BodyTemperature].Unit);
        Assert.Equal(2, measurements[MeasurementCodes.InhaledOxygenFlowRate].Value);
        Assert.Equal(2, measurements[MeasurementCodes.LevelOfConsciousness].Value);
        Assert.All(measurements.Values, m => Assert.Equal(("p-m", "dev-m", now), (m.PatientId, m.DeviceId, m.Time)));

        messages.Clear();
        Assert.False(mapper.Expand(new KafkaRecord("raw", 0, 1, "p-other", ContractsJson.Serialize(reading), now), messages, out error));
        Assert.StartsWith("payload.inconsistent", error, StringComparison.Ordinal);
        Assert.False(mapper.Expand(new KafkaRecord("raw", 0, 2, "p-m", "{not json"u8.ToArray(), now), messages, out error));
        Assert.StartsWith("payload.unparseable", error, StringComparison.Ordinal);
        Assert.Empty(messages);
    }

    private static async Task<AlertRecord> FirstEmergencyAsync(ChannelReader<KafkaRecord> alerts, string patient)
    {
        using var deadline = new CancellationTokenSource(PipelineServers.Deadline);
        while (true)
        {
            var record = await alerts.ReadAsync(deadline.Token);
            var alert = AlertRecord.FromJsonUtf8(record.Value);
            Assert.NotNull(alert);
            Assert.Equal(patient, record.Key);
            if (alert.Kind == "news2-risk" && alert.Severity == 3)
            {
                return alert;
            }
        }
    }

    private static async Task<(IReadOnlyList<JsonObject> Risks, IReadOnlyList<JsonObject> Flags)> ReadFhirAsync(string dataDirectory, string patient)
    {
        var builder = PipelineHost.CreateBuilder(dataDirectory, "sqlite", null, Microsoft.Extensions.Logging.LogLevel.Warning);
        using var host = builder.Build();
        await host.StartAsync();
        var fhir = host.Services.GetRequiredService<FhirService>();
        var subject = $"Patient/{patient}";
        var risks = (await fhir.SearchAsync("RiskAssessment", "_count=1000")).MatchResources()
            .Where(r => r["subject"]?["reference"]?.GetValue<string>() == subject).ToList();
        var flags = (await fhir.SearchAsync("Flag", "_count=1000")).MatchResources()
            .Where(r => r["subject"]?["reference"]?.GetValue<string>() == subject).ToList();
        await host.StopAsync();
        return (risks, flags);
    }

    private static string? QualitativeRisk(JsonObject riskAssessment) =>
        riskAssessment["prediction"]?[0]?["qualitativeRisk"]?["coding"]?[0]?["code"]?.GetValue<string>();

    /// <summary>Seven full NEWS2 vital sets five minutes apart, from well to RR 26, SpO2 91 on O2, SBP 95, HR 125, T 39.2.</summary>
    private async Task ProduceDeterioratingAsync(string topic, string patient)
    {
        using var producer = new KafkaProducer(kafka.Options("edge"));
        var now = DateTimeOffset.UtcNow;
        const int sets = 7;
        for (var i = 0; i < sets; i++)
        {
            var f = i / (double)(sets - 1);
            var time = now.AddMinutes(-5 * (sets - 1 - i)).AddSeconds(-30);
            double Step(double well, double ill) => Math.Round(well + ((ill - well) * f), 1);
            Sample Vital(string type, double value, string unit) => new() { Type = type, Value = value, Unit = unit, Time = time };
            var reading = new RawReading
            {
                Device = "dev-an",
                Patient = patient,
                Received = time.AddSeconds(1),
                Consent = new ConsentStamp("permit"),
                Batch = new DeviceBatch
                {
                    Device = "dev-an",
                    Seq = i + 1,
                    Sent = time,
                    Samples =
                    [
                        Vital("respiratory-rate", Step(14, 26), "/min"),
                        Vital("spo2", Step(97, 91), "%"),
                        Vital(ReadingMeasurements.OxygenFlowType, i == sets - 1 ? 2 : 0, "L/min"),
                        Vital("systolic", Step(125, 95), "mm[Hg]"),
                        Vital("heart-rate", Step(75, 125), "/min"),
                        Vital(ReadingMeasurements.ConsciousnessType, 0, "{score}"),
                        Vital("body-temperature", Step(37.0, 39.2), "Cel"),
                    ],
                },
            };
            var report = await producer.ProduceAsync(topic, patient, ContractsJson.Serialize(reading), CancellationToken.None);
            Assert.True(report.Delivered, report.Failure?.Reason);
        }
    }

    private sealed class ChannelHandler(ChannelWriter<KafkaRecord> received) : IRecordBatchHandler
    {
        public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
        {
            foreach (var record in records)
            {
                received.TryWrite(record);
            }
            return Task.FromResult(BatchOutcome.AllHandled);
        }
    }
}
