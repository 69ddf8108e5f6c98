using PatientStream.FhirGen;

using System.IO.Compression;

// Usage: FhirGen [sourceDir] [outputFile] [schemaCopy]
// Defaults suit a run from the repository root: ../shared/fhir-r4 -> src/Fhir/Definitions/r4-definitions.ndjson, and
// the official JSON schema (gzipped) for the test suite's external schema check.
var source = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "fhir-r4");
var output = args.Length > 1 ? args[1] : Path.Combine("src", "Fhir", "Definitions", "r4-definitions.ndjson");
var schemaCopy = args.Length > 2 ? args[2] : Path.Combine("tests", "Fhir.Tests", "External", "fhir.schema.json.gz");
var lines = DefinitionGenerator.Generate(source);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllLinesAsync(output, lines).ConfigureAwait(false);
Console.WriteLine($"wrote {lines.Count} lines to {output}");

var schemaSource = File.OpenRead(Path.Combine(source, "fhir.schema.json"));
await using (schemaSource.ConfigureAwait(false))
{
    var target = File.Create(schemaCopy);
    await using (target.ConfigureAwait(false))
    {
        var gzip = new GZipStream(target, CompressionLevel.SmallestSize);
        await using (gzip.ConfigureAwait(false))
        {
            await schemaSource.CopyToAsync(gzip).ConfigureAwait(false);
        }
    }
}

Console.WriteLine($"wrote {schemaCopy}");
