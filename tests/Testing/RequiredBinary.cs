namespace PatientStream.Testing;

/// <summary>Finds a server binary or fails loudly with the command that installs it.</summary>
public static class RequiredBinary
{
    private static readonly string[] s_extraDirectories =
    [
        "/usr/sbin", "/usr/local/sbin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin",
    ];

    public static string Find(string name, string debianPackage)
    {
        var path = TryFind(name);
        return path ?? throw new MissingBinaryException(name, debianPackage);
    }

    public static string? TryFind(string name)
    {
        var pathDirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in pathDirs.Concat(s_extraDirectories))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}

public sealed class MissingBinaryException(string binary, string debianPackage)
    : Exception($"'{binary}' is not installed. Install it with: apt-get install -y {debianPackage}  (or run ./patientstream, which installs it)")
{
    public string Binary { get; } = binary;
    public string DebianPackage { get; } = debianPackage;
}
