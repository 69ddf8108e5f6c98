using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;

namespace PatientStream.Host.Commands;

/// <summary>
/// <c>patientstream test</c>: runs every test project of the solution and ends with one plain line
/// <c>N passed, N failed, N skipped</c> totalled over all projects; exits non-zero on any failure.
/// </summary>
internal static class TestCommand
{
    public static Command Create()
    {
        var filter = new Option<string?>("--filter") { Description = "Run only tests matching this dotnet test filter expression." };
        var configuration = new Option<string>("--configuration", "-c") { Description = "Build configuration the tests were built in.", DefaultValueFactory = _ => "Release" };
        var command = new Command("test", "Run the whole test suite against real Mosquitto, InfluxDB, PostgreSQL, SQLite and the Kafka mock cluster.")
        {
            filter, configuration,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result.GetValue(filter), result.GetValue(configuration)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? filter, string configuration, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot.Find();
        var results = Path.Combine(root, "artifacts", "test-results", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(results);
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
        foreach (var argument in (string[])["test", "PatientStream.sln", "-c", configuration, "--no-build", "--logger", "trx", "--results-directory", results,
                     "--blame-hang-timeout", "10m"])
        {
            info.ArgumentList.Add(argument);
        }
        if (!string.IsNullOrEmpty(filter))
        {
            info.ArgumentList.Add("--filter");
            info.ArgumentList.Add(filter);
        }
        var exitCode = await ChildProcess.RunAsync(info, cancellationToken).ConfigureAwait(false);

        var totals = TrxTotals.Read(results);
        Console.WriteLine();
        foreach (var project in totals.Projects)
        {
            Console.WriteLine($"  {project.Name}: {project.Passed} passed, {project.Failed} failed, {project.Skipped} skipped");
        }
        var failed = totals.Failed;
        if (exitCode != 0 && failed == 0)
        {
            // dotnet test failed without a failed test result (a crashed test host, a build problem): still a failure.
            Console.WriteLine($"dotnet test exited with code {exitCode} although no test reported a failure.");
            failed = 1;
        }
        if (totals.Passed == 0 && failed == 0)
        {
            Console.WriteLine("No test ran.");
            failed = 1;
        }
        Console.WriteLine(totals.Skipped > 0
            ? $"{totals.Passed} passed, {failed} failed, {totals.Skipped} skipped"
            : $"{totals.Passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}

/// <summary>Sums the counters of every TRX file a test run wrote.</summary>
internal sealed record TrxTotals(IReadOnlyList<TrxProject> Projects)
{
    public int Passed => Projects.Sum(p => p.Passed);

    public int Failed => Projects.Sum(p => p.Failed);

    public int Skipped => Projects.Sum(p => p.Skipped);

    public static TrxTotals Read(string folder)
    {
        var projects = new List<TrxProject>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.trx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var document = XDocument.Load(file);
            var ns = document.Root!.Name.Namespace;
            var counters = document.Descendants(ns + "Counters").First();
            var storage = document.Descendants(ns + "UnitTest").Select(u => (string?)u.Attribute("storage")).FirstOrDefault(s => s is not null);
            var name = storage is null ? Path.GetFileNameWithoutExtension(file) : Path.GetFileNameWithoutExtension(storage);
            projects.Add(new TrxProject(name, Count(counters, "passed"),
                Count(counters, "failed") + Count(counters, "error") + Count(counters, "timeout") + Count(counters, "aborted"),
                Count(counters, "notExecuted")));
        }
        return new TrxTotals(projects);
    }

    private static int Count(XElement counters, string name) =>
        int.TryParse((string?)counters.Attribute(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}

internal sealed record TrxProject(string Name, int Passed, int Failed, int Skipped);
