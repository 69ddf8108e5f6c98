using System.Diagnostics;
using System.Globalization;
using PatientStream.Testing;

namespace PatientStream.Bench.EndToEnd;

/// <summary>
/// The product's own processes for the end-to-end run: <c>patientstream serve</c>, <c>ingest</c> and <c>edge</c>,
/// each a child process of the built host executable, started with the same arguments an operator would use.
/// </summary>
internal sealed class HostProcesses : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _hostDll;
    private readonly List<ServerProcess> _started = [];

    private HostProcesses(string hostDll) => _hostDll = hostDll;

    public IReadOnlyList<ServerProcess> Started => _started;

    /// <summary>Finds the host executable the way <c>patientstream bench</c> does, building it first when missing.</summary>
    public static async Task<HostProcesses> LocateAsync(CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var dll = Path.Combine(root, "artifacts", "bin", "PatientStream.Host", "release", "patientstream.dll");
        if (!File.Exists(dll))
        {
            Console.WriteLine("  building the host (dotnet build src/Host -c Release)…");
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
            foreach (var argument in new[] { "build", Path.Combine(root, "src", "Host"), "-c", "Release", "-nologo", "-v", "q" })
            {
                info.ArgumentList.Add(argument);
            }
            using var build = Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet build");
            await build.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (build.ExitCode != 0 || !File.Exists(dll))
            {
                throw new InvalidOperationException($"building src/Host failed ({build.ExitCode}); {dll} is missing");
            }
        }
        return new HostProcesses(dll);
    }

    /// <summary>Starts <c>patientstream {arguments}</c> and waits for its READY line.</summary>
    public async Task<ServerProcess> StartAsync(string name, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var process = ServerProcess.Start(name, "dotnet", [_hostDll, .. arguments]);
        _started.Add(process);
        await process.WaitUntilReadyAsync(_ => Task.FromResult(process.Log.Contains("READY", StringComparison.Ordinal)), StartTimeout)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return process;
    }

    /// <summary>Peak resident memory (VmHWM) of a process in MB, or NaN once it has gone.</summary>
    public static double PeakMegabytes(int pid)
    {
        var status = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(status))
        {
            return double.NaN;
        }
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN
            : long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>Throws with the process's output when one of the product's processes has died.</summary>
    public void EnsureAlive()
    {
        foreach (var process in _started.Where(p => p.HasExited))
        {
            throw new InvalidOperationException($"{process.Name} exited during the run:\n{Tail(process.Log)}");
        }
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(30));

    /// <summary>The checkout this runner was built in: its output is artifacts/bin/PatientStream.Bench/release/.</summary>
    private static string RepositoryRoot()
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));
        return File.Exists(Path.Combine(root, "PatientStream.sln"))
            ? root
            : throw new InvalidOperationException($"{root} is not the PatientStream checkout; run the benchmarks from their build output (./patientstream bench).");
    }

    /// <summary>CPU time (user + system) a process has used so far, in seconds; 0 once it has gone.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat";
        if (!File.Exists(stat))
        {
            return 0;
        }
        // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    /// <summary>USER_HZ: 100 on every Linux this runs on (the kernel's ABI value, independent of CONFIG_HZ).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>CPU seconds used so far by the product's processes together.</summary>
    public double ProductCpuSeconds() => _started.Sum(p => CpuSeconds(p.Pid));

    public async ValueTask DisposeAsync()
    {
        // Reverse order: the edge stops before ingest, ingest before the server it shares the store with.
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(TimeSpan.FromSeconds(15), Signals.Interrupt).ConfigureAwait(false);
            await _started[i].DisposeAsync().ConfigureAwait(false);
        }
    }
}
