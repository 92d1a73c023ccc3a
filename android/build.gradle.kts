// Android library module for Mentra Bridge: the generated UniFFI Kotlin, a coroutine-friendly
// wrapper, and the Rust library for arm64-v8a, armeabi-v7a and x86_64, built by build-rust.sh
// (cargo-ndk, the NDK pinned below, 16 KB-page aligned) before every build.
plugins {
    id("com.android.library")
    kotlin("android")
}

android {
    namespace = "glass.mentra.bridge"
    compileSdk = 35
    // r28: 16 KB page-aligned ELF by default (Google Play requires it for Android 15+ devices).
    ndkVersion = "28.0.13004108"
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    packaging {
        jniLibs.keepDebugSymbols += "**/*.so" // stripped by the release-mobile profile already
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin { jvmToolchain(17) }

dependencies {
    // 5.17: the first JNA whose libjnidispatch.so is 16 KB-page aligned.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    // In the public API (Flow, StateFlow, suspend functions): apps get it transitively.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
}

// The Rust library is built before every build, with the NDK Gradle resolved for ndkVersion
// (needs bash, rustup and cargo-ndk). -PmentraBuildRust=false skips it, for machines that take
// prebuilt .so files in src/main/jniLibs.
val buildRust by tasks.registering(Exec::class) {
    description = "Builds libmentra_bridge_ffi.so for every ABI (cargo-ndk) and regenerates the bindings"
    workingDir = projectDir
    environment("ANDROID_NDK_HOME", android.ndkDirectory.absolutePath)
    commandLine("./build-rust.sh")
    inputs.files(
        fileTree("../core/src"), fileTree("../bindings/mentra-bridge-ffi/src"), fileTree("../proto"),
        file("../Cargo.toml"), file("../Cargo.lock"), file("../core/Cargo.toml"), file("../core/build.rs"),
        file("../bindings/mentra-bridge-ffi/Cargo.toml"),
    )
    outputs.dirs("src/main/jniLibs", "src/main/kotlin/glass/mentra/bridge/ffi")
    onlyIf { providers.gradleProperty("mentraBuildRust").orNull != "false" }
}
tasks.named("preBuild") { dependsOn(buildRust) }
