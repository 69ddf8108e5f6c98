using System.Diagnostics;
using PatientStream.Testing;

namespace PatientStream.Fhir.Tests.External;

/// <summary>
/// Runs the npm-based external checks (fhir-kit-client, ajv with the official fhir.schema.json). The npm packages
/// are installed once per test run from the committed package-lock.json.
/// </summary>
public static class NodeChecks
{
    private static readonly Lazy<Task<string>> Installed = new(InstallAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "External");

    public static async Task<(int ExitCode, string Output)> RunAsync(string script, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var node = await Installed.Value;
        return await RunProcessAsync(node, [Path.Combine(Folder, script), .. arguments], cancellationToken);
    }

    private static async Task<string> InstallAsync()
    {
        var node = RequiredBinary.Find("node", "nodejs");
        var npm = RequiredBinary.Find("npm", "npm");
        if (!File.Exists(Path.Combine(Folder, "node_modules", "fhir-kit-client", "package.json")) || !File.Exists(Path.Combine(Folder, "node_modules", "ajv", "package.json")))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var (code, output) = await RunProcessAsync(npm, ["ci", "--no-audit", "--no-fund", "--prefix", Folder], timeout.Token);
            if (code != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {Folder} (exit {code}); run 'npm ci --prefix {Folder}' by hand:\n{output}");
            }
        }

        return node;
    }

    private static async Task<(int, string)> RunProcessAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
