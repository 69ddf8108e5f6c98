using PatientStream.Kafka.Contracts;

namespace PatientStream.Ingest.Tests;

/// <summary>Builds raw readings for tests.</summary>
internal static class Readings
{
    public static readonly DateTimeOffset Received = new(2026, 11, 21, 10, 0, 5, TimeSpan.Zero);

    public static Sample Scalar(string type, double? value, string? unit, DateTimeOffset? time = null) =>
        new() { Type = type, Value = value, Unit = unit, Time = time ?? Received.AddSeconds(-1) };

    public static Sample Wave(IReadOnlyList<double>? data, double? periodMs = 4, string unit = "mV", DateTimeOffset? time = null) =>
        new() { Type = "ecg", Data = data, PeriodMs = periodMs, Unit = unit, Time = time ?? Received.AddSeconds(-1) };

    public static RawReading Reading(params Sample[] samples) => Reading("dev-1", "Patient/p1", 1, samples);

    public static RawReading Reading(string device, string patient, long seq, IReadOnlyList<Sample> samples, DateTimeOffset? received = null) => new()
    {
        Device = device,
        Patient = patient,
        Received = received ?? Received,
        Consent = new ConsentStamp("permit"),
        Batch = new DeviceBatch { Device = device, Seq = seq, Sent = received ?? Received, Samples = samples },
    };
}
