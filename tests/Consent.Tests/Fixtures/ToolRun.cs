using System.Diagnostics;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Fixtures;

public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    public string Describe(string what) => $"{what} exited {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs one command-line tool to completion (mosquitto_pub, swtpm's launcher, tpm2-tools).</summary>
public static class ToolRun
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {Deadline}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>Two consecutive free ports (port, port + 1), as the swtpm TCTI expects for its server and control channel.</summary>
    public static int FreePortPair()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = FreePort.Next();
            if (port >= ushort.MaxValue)
            {
                continue;
            }

            using var next = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port + 1);
            try
            {
                next.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // port + 1 is taken: draw another pair.
            }
            finally
            {
                next.Stop();
            }
        }

        throw new InvalidOperationException("no two consecutive free loopback ports");
    }
}
