using System.Globalization;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    internal static partial class Emitter
    {
        /// <summary>The reducer's <c>IMutationMigrations</c>, only when the class declares migrations.</summary>
        private static void EmitMigrations(SourceWriter writer, MutationSetSpec spec)
        {
            if (spec.Migrations.Count == 0)
            {
                return;
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc />");
            writer.WriteLine($"public int SchemaVersion => {spec.Migrations.Count.ToString(CultureInfo.InvariantCulture)};");
            if (spec.MinimumClientSchemaVersion > 0)
            {
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc />");
                writer.WriteLine($"public int MinimumClientSchemaVersion => {spec.MinimumClientSchemaVersion.ToString(CultureInfo.InvariantCulture)};");
            }

            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc />");
            writer.OpenBlock("public void Migrate(global::SqlSync.Mutations.IMutationContext context, int version)");
            writer.WriteLine($"if (context is null) throw new {ArgumentNull}(nameof(context));");
            writer.OpenBlock("switch (version)");
            foreach (MigrationSpec migration in spec.Migrations)
            {
                writer.WriteLine($"case {migration.Version.ToString(CultureInfo.InvariantCulture)}:");
                writer.WriteLine($"    {spec.FullyQualifiedName}.{migration.MethodName}(context);");
                writer.WriteLine("    return;");
            }

            writer.WriteLine("default:");
            writer.WriteLine($"    throw new global::System.ArgumentOutOfRangeException(nameof(version), version, \"{spec.DisplayName} has migrations 1 to {spec.Migrations.Count.ToString(CultureInfo.InvariantCulture)}.\");");
            writer.CloseBlock();
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc />");
            writer.WriteLine("public string GetMigrationName(int version) => version switch");
            writer.OpenBlock();
            foreach (MigrationSpec migration in spec.Migrations)
            {
                writer.WriteLine($"{migration.Version.ToString(CultureInfo.InvariantCulture)} => \"{migration.MethodName}\",");
            }

            writer.WriteLine("_ => \"migration \" + version.ToString(global::System.Globalization.CultureInfo.InvariantCulture),");
            writer.CloseBlock(";");
        }
    }
}
