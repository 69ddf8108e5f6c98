using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace PatientStream.Mqtt.Bench;

/// <summary>The same scenarios driven through mosquitto_pub / mosquitto_sub (libmosquitto), the reference client.</summary>
public sealed class MosquittoBaseline(MqttBenchOptions options, int payloadBytes)
{
    private string Pub => Path.Combine(options.MosquittoClients, "mosquitto_pub");
    private string Sub => Path.Combine(options.MosquittoClients, "mosquitto_sub");
    private string Port => options.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>mosquitto_pub -l reading prepared lines from a file, one process per connection, all at once.</summary>
    public async Task<double> ThroughputAsync(int connections, int total, int qos, CancellationToken cancellationToken)
    {
        var perProcess = total / connections;
        var file = Path.Combine(Path.GetTempPath(), "ps-bench-" + Guid.NewGuid().ToString("N"));
        var line = new string('x', payloadBytes) + "\n";
        await File.WriteAllTextAsync(file, string.Concat(Enumerable.Repeat(line, perProcess)), cancellationToken).ConfigureAwait(false);
        try
        {
            var topic = "bench/baseline/" + Guid.NewGuid().ToString("N");
            var command = $"exec {Pub} -h {options.Host} -p {Port} -t {topic} -q {qos} -l < {file}";
            var stopwatch = Stopwatch.StartNew();
            var processes = Enumerable.Range(0, connections).Select(_ => Start("/bin/sh", ["-c", command])).ToList();
            try
            {
                foreach (var process in processes)
                {
                    await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                    if (process.ExitCode != 0)
                    {
                        throw new InvalidOperationException("mosquitto_pub failed: " + await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            finally
            {
                foreach (var process in processes)
                {
                    process.Dispose();
                }
            }
            stopwatch.Stop();
            return perProcess * connections / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Lines written one at a time to mosquitto_pub -l; mosquitto_sub prints its receive time (%U) for each.</summary>
    public async Task<(double P50, double P99)> LatencyAsync(int samples, CancellationToken cancellationToken)
    {
        var topic = "bench/baseline-latency/" + Guid.NewGuid().ToString("N");
        // stdbuf: mosquitto_sub's stdout is a pipe here and would otherwise be block-buffered.
        using var sub = Start("/usr/bin/stdbuf", ["-oL", Sub, "-h", options.Host, "-p", Port, "-t", topic, "-q", "1", "-F", "%U %p"]);
        using var pub = Start(Pub, ["-h", options.Host, "-p", Port, "-t", topic, "-q", "1", "-l"], redirectInput: true);
        var lines = Channel.CreateUnbounded<string>();
        sub.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Writer.TryWrite(e.Data);
            }
        };
        sub.BeginOutputReadLine();
        try
        {
            await WarmUpAsync(pub, lines.Reader, cancellationToken).ConfigureAwait(false);
            var latencies = new double[samples];
            var padding = new string('x', Math.Max(0, payloadBytes - 12));
            for (var i = 0; i < samples; i++)
            {
                var sent = UnixSeconds(DateTimeOffset.UtcNow);
                await pub.StandardInput.WriteLineAsync((i.ToString("D10", CultureInfo.InvariantCulture) + padding).AsMemory(), cancellationToken).ConfigureAwait(false);
                await pub.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
                var received = await lines.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var stamp = decimal.Parse(received.AsSpan(0, received.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                latencies[i] = (double)((stamp - sent) * 1000m);
            }
            return (MqttBench.Percentile(latencies, 0.50), MqttBench.Percentile(latencies, 0.99));
        }
        finally
        {
            pub.StandardInput.Close();
            sub.Kill();
            await pub.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await sub.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WarmUpAsync(Process pub, ChannelReader<string> lines, CancellationToken cancellationToken)
    {
        // mosquitto_sub cannot say when its subscription is active: publish probes until one comes back.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await pub.StandardInput.WriteLineAsync("warm-up".AsMemory(), cancellationToken).ConfigureAwait(false);
            await pub.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                await lines.ReadAsync(wait.Token).ConfigureAwait(false);
                while (lines.TryRead(out _))
                {
                }
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
        throw new InvalidOperationException("mosquitto_sub never received a probe.");
    }

    private static decimal UnixSeconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10_000_000m;

    private static Process Start(string file, IEnumerable<string> arguments, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardInputEncoding = redirectInput ? new UTF8Encoding(false) : null,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("Cannot start " + file);
    }
}
