using System.CommandLine;
using System.Diagnostics;

namespace PatientStream.Host.Commands;

/// <summary><c>patientstream bench</c>: runs every benchmark in bench/ and writes bench/results/latest.json and .md.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A short run that checks every benchmark works (figures are not meaningful)." };
        var only = new Option<string?>("--only") { Description = "Run only benchmarks whose name contains this text." };
        var command = new Command("bench", "Measure throughput, latency and memory next to baselines from the same run; writes bench/results/latest.json and latest.md.")
        {
            quick, only,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var root = RepositoryRoot.Find();
            var bench = Path.Combine(root, "artifacts", "bin", "PatientStream.Bench", "release", "PatientStream.Bench.dll");
            if (!File.Exists(bench))
            {
                Console.Error.WriteLine($"The benchmarks are not built ({bench}); run ./patientstream bench, which builds them.");
                return 2;
            }
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
            info.ArgumentList.Add(bench);
            info.ArgumentList.Add("--out");
            info.ArgumentList.Add(Path.Combine(root, "bench", "results"));
            if (result.GetValue(quick))
            {
                info.ArgumentList.Add("--quick");
            }
            if (result.GetValue(only) is { } filter)
            {
                info.ArgumentList.Add("--only");
                info.ArgumentList.Add(filter);
            }
            return await ChildProcess.RunAsync(info, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
