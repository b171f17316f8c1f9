#pragma once

#include "core/domain/domain.h"
#include "core/domain/translate.h"

#include <QString>

#include <optional>

class QWidget;

namespace tollgate::dialogs {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::dialogs")

// The few questions the console asks in a modal box, behind one wrapper a test can script (setNextAnswer).
enum class Answer { Yes, No, Save, Discard, Cancel };

// "Save", "Discard" or "Cancel" for unsaved changes.
Answer askUnsavedChanges(QWidget* parent, const QString& what);
// "Yes" or "No" for something that cannot be undone.
Answer confirm(QWidget* parent, const QString& title, const QString& text);
// One line of text (a name); nullopt when cancelled.
std::optional<QString> askText(QWidget* parent, const QString& title, const QString& label, const QString& value = {});

// A dollar amount in the console's notation, with what will be saved shown as it is typed (OK only once it reads);
// the text typed, nullopt when cancelled.
std::optional<QString> askMoney(QWidget* parent, const QString& title, const QString& label,
                                const std::optional<Money>& value = std::nullopt);

// Tests: the next question is answered with this instead of showing a box.
void setNextAnswer(Answer answer);
void setNextText(const std::optional<QString>& text);

} // namespace tollgate::dialogs
