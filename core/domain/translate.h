#pragma once

#include <QCoreApplication>

// Each module translates its messages in one context of its own, declared once: a class with Qt's
// Q_DECLARE_TR_FUNCTIONS (or Q_OBJECT), or, for a namespace of functions, TOLLGATE_TRANSLATION_CONTEXT in the
// namespace of the module's header, which gives every function of the namespace a tr() in that context (lupdate
// reads the same context from the namespace).
#define TOLLGATE_TRANSLATION_CONTEXT(context)                                                                          \
    inline QString tr(const char* source, const char* disambiguation = nullptr, int n = -1)                            \
    {                                                                                                                  \
        return QCoreApplication::translate(context, source, disambiguation, n);                                        \
    }
