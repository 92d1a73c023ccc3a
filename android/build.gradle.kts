// Android library module for Mentra Bridge: the generated UniFFI Kotlin, a coroutine-friendly
// wrapper, and the Rust library for arm64-v8a, armeabi-v7a and x86_64 (built by build-rust.sh
// with cargo-ndk into src/main/jniLibs).
plugins {
    id("com.android.library")
    kotlin("android")
}

android {
    namespace = "glass.mentra.bridge"
    compileSdk = 35
    defaultConfig {
        minSdk = 24 // btleplug 0.13 needs API 24+
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
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.8.0")
}

// Build the Rust library before packaging: ./build-rust.sh (needs the NDK and cargo-ndk).
tasks.register<Exec>("buildRust") {
    commandLine("./build-rust.sh")
}
