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
    public async Task<ServerProcess> StartAsync(string name, IReadOnlyList<string> arguments)
    {
        var process = ServerProcess.Start(name, "dotnet", [_hostDll, .. arguments], environment: new Dictionary<string, string>
        {
            ["DOTNET_gcServer"] = "0",
            ["PATIENTSTREAM_ROOT"] = RepositoryRoot(),
        });
        _started.Add(process);
        await process.WaitUntilReadyAsync(_ => Task.FromResult(process.Log.Contains("READY", StringComparison.Ordinal)), StartTimeout).ConfigureAwait(false);
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

    private static string RepositoryRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("PATIENTSTREAM_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, "PatientStream.sln")))
        {
            return fromEnvironment;
        }
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PatientStream.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Cannot find the PatientStream checkout (PatientStream.sln); run from inside it or set PATIENTSTREAM_ROOT.");
    }

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
