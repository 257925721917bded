package org.vim4j.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of the core library, read from its compiled classes: the API ({@code org.vim4j}) on top, then the
 * backends ({@code org.vim4j.backend..}), then the model ({@code org.vim4j.model}), then the kernel contract
 * ({@code org.vim4j.kernel}) and tensors at the bottom; file formats ({@code org.vim4j.io..}) and images
 * ({@code org.vim4j.image}) beside them. A dependency that runs back up, or a cycle between packages, fails here with
 * the offending classes named.
 */
class LayeringTest {
    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.vim4j");
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("org.vim4j.(**)").should().beFreeOfCycles().check(core);
    }

    @Test
    void theKernelContractKnowsOnlyTensors() {
        noClasses().that().resideInAPackage("org.vim4j.kernel..")
                .should().dependOnClassesThat().resideInAnyPackage("org.vim4j.model..", "org.vim4j.backend..",
                        "org.vim4j.io..", "org.vim4j.image..", "org.vim4j.bindings..")
                .check(core);
    }

    @Test
    void theModelKnowsNoBackend() {
        noClasses().that().resideInAPackage("org.vim4j.model..")
                .should().dependOnClassesThat().resideInAnyPackage("org.vim4j.backend..", "org.vim4j.bindings..")
                .check(core);
    }

    @Test
    void backendsKnowNeitherTheModelNorEachOther() {
        for (String b : new String[] {"scalar", "vector", "ffm", "cuda"}) {
            noClasses().that().resideInAPackage("org.vim4j.backend." + b + "..")
                    .should().dependOnClassesThat().resideInAnyPackage("org.vim4j.model..")
                    .check(core);
        }
        noClasses().that().resideInAnyPackage("org.vim4j.backend.scalar..", "org.vim4j.backend.vector..")
                .should().dependOnClassesThat().resideInAnyPackage("org.vim4j.backend.ffm..", "org.vim4j.backend.cuda..",
                        "org.vim4j.bindings..")
                .check(core);
    }

    @Test
    void onlyTheApiUsesTheApi() {
        noClasses().that().resideOutsideOfPackage("org.vim4j")
                .should().dependOnClassesThat().haveFullyQualifiedName("org.vim4j.VimModel")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.vim4j.VimSession")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("org.vim4j.VimOptions")
                .check(core);
    }
}
