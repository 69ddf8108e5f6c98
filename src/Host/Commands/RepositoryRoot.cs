namespace PatientStream.Host.Commands;

/// <summary>Finds the source checkout (for commands that drive the build: test, bench).</summary>
internal static class RepositoryRoot
{
    public static string Find()
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
}
