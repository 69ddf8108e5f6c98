using System.Globalization;

namespace PatientStream.Ingest.Bench;

internal static class BenchReport
{
    public static string Render(int readings, int perReading, double baseline, long total, double throughput, string phases,
        int rate, double p50, double p99, double max) => string.Create(CultureInfo.InvariantCulture, $"""

        ## Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC: {readings:N0} readings x {perReading} samples

        Machine: {Environment.ProcessorCount} cores (shared), .NET {Environment.Version}. InfluxDB 1.6 and librdkafka's mock
        cluster (1 broker) on loopback; 200 devices; {total:N0} samples produced before the run.

        | figure | value |
        |---|---|
        | raw consume + parse baseline (same consumer loop, counting handler) | {baseline:N0} records/s = {baseline * perReading:N0} samples/s |
        | ingest to both sinks (InfluxDB + sample sink), dedupe state, commit | {throughput:N0} samples/s |
        | ingest / baseline | {throughput / (baseline * perReading):P0} |
        | handler time by phase | {phases} |
        | Kafka-to-InfluxDB latency at {rate:N0} samples/s offered | p50 {p50:F1} ms, p99 {p99:F1} ms, max {max:F1} ms |

        """);
}
