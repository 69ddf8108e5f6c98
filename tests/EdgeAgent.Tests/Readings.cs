using PatientStream.EdgeAgent.Buffer;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests;

/// <summary>Builds contract-shaped batches and buffer entries for tests.</summary>
internal static class Readings
{
    public static readonly DateTimeOffset At = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    public static DeviceBatch Batch(string device, long seq, params Sample[] samples) => new()
    {
        Device = device,
        Seq = seq,
        Sent = At.AddSeconds(seq),
        Samples = samples.Length > 0 ? samples : [HeartRate(72)],
    };

    public static Sample HeartRate(double value) => new() { Type = "heart-rate", Time = At, Value = value, Unit = "/min" };

    public static BufferEntry Entry(string device, long seq, string patient)
    {
        var reading = new RawReading
        {
            Device = device,
            Patient = patient,
            Received = At.AddSeconds(seq),
            Consent = new ConsentStamp("permit"),
            Batch = Batch(device, seq),
        };
        return new BufferEntry(device, seq, patient, ContractsJson.Serialize(reading), reading.Received);
    }
}
