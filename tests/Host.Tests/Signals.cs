using System.Text;
using PatientStream.Ingest;
using PatientStream.Ingest.Cleaning;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

/// <summary>A sample sink registered after the FHIR sink: once it sees samples, the FHIR transaction for them is done.</summary>
internal sealed class SignalSink : ICleanSampleSink
{
    private readonly TaskCompletionSource<IReadOnlyList<CleanSample>> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IReadOnlyList<CleanSample>> First => _first.Task;

    public Task WriteAsync(IReadOnlyList<CleanSample> samples, CancellationToken cancellationToken)
    {
        _first.TrySetResult(samples);
        return Task.CompletedTask;
    }
}

/// <summary>Captures a command's output and completes <see cref="Ready"/> when it prints its READY line.</summary>
internal sealed class ReadyWriter : StringWriter
{
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string> Ready => _ready.Task;

    public override Encoding Encoding => Encoding.UTF8;

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value?.StartsWith("READY", StringComparison.Ordinal) == true)
        {
            _ready.TrySetResult(value);
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }
}

/// <summary>Raw readings as the edge forwards them.</summary>
internal static class Readings
{
    /// <summary>Produces one batch of vitals for <paramref name="patient"/> to <paramref name="topic"/>, keyed by patient as the edge does.</summary>
    public static async Task ProduceVitalsAsync(KafkaFixture kafka, string topic, string patient)
    {
        using var producer = new KafkaProducer(kafka.Options("edge"));
        var report = await producer.ProduceAsync(topic, patient, ContractsJson.Serialize(Vitals(patient, "dev-1", 1)), CancellationToken.None);
        Assert.True(report.Delivered, report.Failure?.Reason);
    }

    public static RawReading Vitals(string patient, string device, long seq)
    {
        var now = DateTimeOffset.UtcNow;
        return new RawReading
        {
            Device = device,
            Patient = patient,
            Received = now,
            Consent = new ConsentStamp("permit"),
            Batch = new DeviceBatch
            {
                Device = device,
                Seq = seq,
                Sent = now,
                Samples =
                [
                    new Sample { Type = "heart-rate", Value = 72, Unit = "/min", Time = now.AddSeconds(-2) },
                    new Sample { Type = "spo2", Value = 97, Unit = "%", Time = now.AddSeconds(-2) },
                ],
            },
        };
    }
}
